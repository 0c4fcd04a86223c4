// bench/bin/bench: a load generator speaking PROTOCOL.md; reports requests/s, errors, hit ratio, latency.
import { Command, Option } from 'commander';
import { integer, kebabFlags, nonNegative, port } from '../../lib/cli/options.js';
import { runLoad, type Mode } from '../lib/load.js';
import { seededRandom } from '../lib/random.js';
import { uniformSampler, zipfSampler } from '../lib/zipf.js';

const options = new Command('bench')
  .description('drives GET load at a dproxy node (or any peer speaking the protocol)')
  .option('--host <host>', 'target address', '127.0.0.1')
  .option('--port <port>', 'target port', port, 9000)
  .addOption(new Option('--mode <mode>', 'connection use').choices(['oneshot', 'persistent', 'pipeline']).default('persistent'))
  .option('--depth <n>', 'requests in flight per connection (pipeline)', integer(1, 4096), 16)
  .option('--conns <n>', 'connections', integer(1, 4096), 16)
  .option('--duration <s>', 'seconds measured', nonNegative, 10)
  .option('--warmup <s>', 'seconds run before measuring', nonNegative, 1)
  .option('--rate <req/s>', 'open loop: send this many requests a second over --conns persistent connections, answered or not', integer(1))
  .option('--keys <a,b,c>', 'explicit keys, chosen uniformly')
  .option('--keyspace <n>', 'keys article/1..article/n when --keys is not given', integer(1), 300)
  .option('--prefix <prefix>', 'key prefix for --keyspace', 'article/')
  .addOption(new Option('--dist <dist>', 'key popularity').choices(['uniform', 'zipf']).default('uniform'))
  .option('--zipf-s <s>', 'Zipf exponent', nonNegative, 1.0)
  .option('--seed <n>', 'random seed', integer(0), 1)
  .option('--json', 'print one JSON object instead of a report')
  .parse(kebabFlags(process.argv))
  .opts<{
    host: string;
    port: number;
    mode: Mode;
    depth: number;
    conns: number;
    duration: number;
    warmup: number;
    rate?: number;
    keys?: string;
    keyspace: number;
    prefix: string;
    dist: 'uniform' | 'zipf';
    zipfS: number;
    seed: number;
    json?: boolean;
  }>();

const random = seededRandom(options.seed);
const keys = options.keys?.split(',').filter((k) => k !== '');
const count = keys?.length ?? options.keyspace;
const pick = options.dist === 'zipf' ? zipfSampler(count, options.zipfS, random) : uniformSampler(count, random);
const nextKey = keys !== undefined ? () => keys[pick()]! : () => `${options.prefix}${pick() + 1}`;

const tty = process.stderr.isTTY && options.json !== true;
const result = await runLoad({
  ...options,
  durationMs: options.duration * 1000,
  warmupMs: options.warmup * 1000,
  nextKey,
  onProgress: tty
    ? (fraction, answered) => {
        const width = 30;
        const filled = Math.round(fraction * width);
        process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(fraction * 100)}%  ${answered} answered`);
      }
    : undefined,
});
if (tty) process.stderr.write('\n');

if (options.json === true) {
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  const l = result.latency;
  const errors = Object.entries(result.errors).map(([status, n]) => `${status}=${n}`).join(' ') || 'none';
  process.stdout.write(
    [
      `target     ${options.host}:${options.port}  mode ${result.mode}  conns ${result.conns}  depth ${result.depth}${result.rate === undefined ? '' : `  rate ${result.rate}/s (open loop)`}`,
      `requests   ${result.requests} in ${result.durationMs} ms = ${result.rps} req/s`,
      `ok         ${result.ok}   errors ${errors}`,
      `hit ratio  ${result.hitRatio === null ? 'n/a' : result.hitRatio.toFixed(4)}`,
      `latency ms p50 ${l.p50.toFixed(3)}  p90 ${l.p90.toFixed(3)}  p99 ${l.p99.toFixed(3)}  p99.9 ${l.p999.toFixed(3)}  max ${l.max.toFixed(3)}`,
    ].join('\n') + '\n',
  );
}
process.exitCode = result.requests > 0 && result.ok === result.requests ? 0 : 1;
