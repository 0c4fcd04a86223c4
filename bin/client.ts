// bin/client: one request to a balancer (or any node), printed pretty with latency_ms.
import { Command } from 'commander';
import { integer, kebabFlags, port } from '../lib/cli/options.js';
import { Client } from '../lib/client/client.js';
import { parseAddress, type Address } from '../lib/protocol/address.js';
import { Status } from '../lib/protocol/status.js';
import { monotonicMs, realClock } from '../lib/time/clock.js';
import { watch } from '../lib/client/watch.js';

const program = new Command('client')
  .description('asks a dproxy node for a key or its metrics')
  .option('--host <host>', 'balancer address', '127.0.0.1')
  .option('--port <port>', 'balancer port', port, 9000)
  .option('--balancers <host:port...>', 'several balancers, tried in order (instead of --host/--port)')
  .option('--get <key>', 'fetch one key')
  .option('--metrics', 'fetch the node\'s METRICS')
  .option('--watch', 'show the balancer\'s proxies and totals, redrawn each second like top (q or Ctrl-C quits)')
  .option('--purge <key>', 'remove one key from every proxy\'s cache')
  .option('--purge-prefix <prefix>', 'remove every key starting with prefix ("" = all)')
  .option('--token <token>', 'admin token for --purge and --purge-prefix')
  .option('--timeout <ms>', 'milliseconds to wait for the answer', integer(1), 10_000)
  .parse(kebabFlags(process.argv));
const options = program.opts<{
  host: string;
  port: number;
  balancers?: string[];
  get?: string;
  metrics?: boolean;
  watch?: boolean;
  purge?: string;
  purgePrefix?: string;
  token?: string;
  timeout: number;
}>();

const token = options.token === undefined ? {} : { token: options.token };
const requests = [
  options.get !== undefined && { op: 'GET', key: options.get },
  options.metrics === true && { op: 'METRICS' },
  options.purge !== undefined && { op: 'PURGE', key: options.purge, ...token },
  options.purgePrefix !== undefined && { op: 'PURGE', prefix: options.purgePrefix, ...token },
].filter((r) => r !== false);
if (requests.length + (options.watch === true ? 1 : 0) !== 1) program.error('give exactly one of --get, --metrics, --watch, --purge, --purge-prefix');
const addresses = ((): Address[] => {
  try {
    return options.balancers?.map(parseAddress) ?? [{ host: options.host, port: options.port }];
  } catch (err) {
    return program.error((err as Error).message);
  }
})();
const client = new Client({ addresses, timeout: options.timeout });
if (options.watch === true) {
  const title = addresses.map((a) => `${a.host}:${a.port}`).join(' ');
  await watch({ metrics: () => client.metrics(), title, clock: realClock, out: process.stdout, input: process.stdin });
  client.close();
  process.exit(0);
}
const started = monotonicMs();
const response = await client.send(requests[0]!);
const latency = Math.round((monotonicMs() - started) * 1000) / 1000;
client.close();
process.stdout.write(JSON.stringify({ ...response, latency_ms: latency }, null, 2) + '\n');
process.exitCode = response.status === Status.OK ? 0 : 1;
