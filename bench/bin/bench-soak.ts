// bench/bin/bench-soak (npm run soak): an origin, 3 proxies and a balancer under mixed load while
// proxies are SIGKILLed and restarted; fails if a request goes unanswered, an answer carries another
// key's data, or a node's RSS grows 10% or more after warm-up. Prints the figures either way.
import { Command } from 'commander';
import { integer, kebabFlags, nonNegative } from '../../lib/cli/options.js';
import { Fleet } from '../lib/fleet.js';
import { formatSoak, runSoak } from '../lib/soak.js';

const options = new Command('bench-soak')
  .description('soaks a cluster under mixed load with random proxy kills; exits non-zero on a lost or misrouted answer or RSS growth >= 10%')
  .option('--duration <s>', 'seconds of load, warm-up included (default: $SOAK_DURATION, else 600)', nonNegative, Number(process.env.SOAK_DURATION ?? 600))
  .option('--warmup <s>', 'seconds before RSS counts as warmed up (default: a third of the duration, from 20 to 180)', nonNegative)
  .option('--rate <req/s>', 'GETs a second, open loop', integer(1), 2000)
  .option('--conns <n>', 'connections to the balancer', integer(1, 1024), 8)
  .option('--keys <n>', 'keys doc/1..doc/n', integer(2), 1000)
  .option('--hot-keys <n>', 'the first n keys are hot', integer(1), 50)
  .option('--hot-share <percent>', 'percent of GETs on hot keys', integer(0, 100), 80)
  .option('--metrics-every <ms>', 'ms between METRICS requests to the balancer', integer(1), 100)
  .option('--kill-every <s>', 'mean seconds between proxy kills', nonNegative, 20)
  .option('--ttl <s>', "the proxies' --ttl: how often each key goes back to the origin", integer(1), 2)
  .option('--seed <n>', 'random seed for keys and kills', integer(0), 1)
  .option('--json', 'print one JSON object instead of a report')
  .parse(kebabFlags(process.argv))
  .opts<{
    duration: number;
    warmup?: number;
    rate: number;
    conns: number;
    keys: number;
    hotKeys: number;
    hotShare: number;
    metricsEvery: number;
    killEvery: number;
    ttl: number;
    seed: number;
    json?: boolean;
  }>();

if (options.hotKeys >= options.keys) {
  process.stderr.write(`bench-soak: --hot-keys (${options.hotKeys}) must be fewer than --keys (${options.keys})\n`);
  process.exit(2);
}
// V8 sizes each node's old generation over its first 20 s or so of load: a short run that measured
// growth from its tenth second would read that as growth.
const warmup = options.warmup ?? Math.min(180, Math.max(Math.min(20, (options.duration * 2) / 3), options.duration / 3));
if (warmup >= options.duration) {
  process.stderr.write(`bench-soak: --warmup (${warmup} s) must be shorter than --duration (${options.duration} s)\n`);
  process.exit(2);
}

const fleet = new Fleet();
fleet.stopOnSignals();

const log = (line: string): void => void process.stderr.write(`${line}\n`);
try {
  log(`bench-soak: ${options.duration} s, warm-up ${warmup} s, ${options.rate} GET/s, a proxy killed about every ${options.killEvery} s`);
  const report = await runSoak(
    {
      durationMs: options.duration * 1000,
      warmupMs: warmup * 1000,
      rate: options.rate,
      conns: options.conns,
      keys: options.keys,
      hotKeys: options.hotKeys,
      hotShare: options.hotShare / 100,
      metricsEveryMs: options.metricsEvery,
      killEveryMs: options.killEvery * 1000,
      ttl: options.ttl,
      seed: options.seed,
      log,
    },
    fleet,
  );
  process.stdout.write(options.json === true ? JSON.stringify(report) + '\n' : formatSoak(report));
  process.exitCode = report.failures.length === 0 ? 0 : 1;
} catch (err) {
  log(`bench-soak: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
} finally {
  await fleet.stopAll();
}
