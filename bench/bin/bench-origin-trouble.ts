// bench/bin/bench-origin-trouble: issue 14's origin-trouble scenarios alone (npm run bench runs them as its
// last stage): a slow, in-order or dead origin behind our proxies and balancers; prints one table per scenario.
import { Command, InvalidArgumentError, Option } from 'commander';
import { integer, kebabFlags } from '../../lib/cli/options.js';
import { Fleet } from '../lib/fleet.js';
import { DEFAULTS, runOriginTrouble, SCENARIOS, type Scenario } from '../lib/origin-trouble.js';
import { renderTrouble } from '../lib/trouble-report.js';

function scenarioList(text: string): Scenario[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const wrong = items.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (items.length === 0 || wrong.length > 0) throw new InvalidArgumentError(`expected a comma-separated list of ${SCENARIOS.join(', ')}`);
  return items as Scenario[];
}

const d = DEFAULTS;
const options = new Command('bench-origin-trouble')
  .description('cached and cold traffic through our proxies and balancers while the origin is slow, answers in order, or dies')
  .addOption(new Option('--only <scenarios>', `comma-separated subset of ${SCENARIOS.join(',')}`).argParser(scenarioList).default([...SCENARIOS], 'all'))
  .option('--cached-keys <n>', 'isolation: keys warm at the proxies', integer(1), d.cachedKeys)
  .option('--misses <n>', 'isolation: misses of distinct cold keys waiting on the slow origin', integer(0), d.misses)
  .option('--slow <ms>', 'isolation: the slow origin\'s milliseconds per answer', integer(0), d.slowMs)
  .option('--probe-rate <req/s>', 'isolation: cached GETs a second, open loop', integer(1), d.probeRate)
  .option('--probe <ms>', 'isolation: milliseconds of cached GETs per run', integer(1), d.probeMs)
  .option('--miss-deadline <ms>', 'isolation: milliseconds after they were sent when unanswered misses are given up', integer(1), d.missDeadlineMs)
  .option('--fan-in <n>', 'cold fan-in: concurrent GETs of distinct cold keys at one proxy', integer(1), d.fanIn)
  .option('--delay <ms>', 'fan-in, fetches, hot key: the origin\'s milliseconds per answer', integer(1), d.delayMs)
  .option('--fetch-keys <n>', 'fetches: keys asked through two balancers', integer(1), d.fetchKeys)
  .option('--fetch-rounds <n>', 'fetches: times each key is asked', integer(1), d.fetchRounds)
  .option('--hot <ms>', 'hot key: milliseconds of load on one key', integer(1), d.hotMs)
  .option('--timeout-misses <n>', 'timeout: misses at a proxy whose origin is past --origin-timeout', integer(1), d.timeoutMisses)
  .option('--timeout-slow <ms>', 'timeout: the origin\'s milliseconds per answer', integer(1), d.timeoutSlowMs)
  .option('--origin-timeout <ms>', 'timeout: the proxy\'s --origin-timeout', integer(1), d.originTimeoutMs)
  .option('--grace <ms>', 'how long past its expected end a run waits for answers before counting the rest NO_ANSWER', integer(0), d.graceMs)
  .option('--seed <n>', 'random seed for the cached keys asked', integer(0), d.seed)
  .option('--json', 'print one JSON object instead of the tables')
  .parse(kebabFlags(process.argv))
  .opts<{
    only: Scenario[];
    cachedKeys: number;
    misses: number;
    slow: number;
    probeRate: number;
    probe: number;
    missDeadline: number;
    fanIn: number;
    delay: number;
    fetchKeys: number;
    fetchRounds: number;
    hot: number;
    timeoutMisses: number;
    timeoutSlow: number;
    originTimeout: number;
    grace: number;
    seed: number;
    json?: boolean;
  }>();

const fleet = new Fleet();
fleet.stopOnSignals();
try {
  const result = await runOriginTrouble(
    {
      scenarios: options.only,
      cachedKeys: options.cachedKeys,
      misses: options.misses,
      slowMs: options.slow,
      probeRate: options.probeRate,
      probeMs: options.probe,
      missDeadlineMs: options.missDeadline,
      fanIn: options.fanIn,
      delayMs: options.delay,
      fetchKeys: options.fetchKeys,
      fetchRounds: options.fetchRounds,
      hotMs: options.hot,
      timeoutMisses: options.timeoutMisses,
      timeoutSlowMs: options.timeoutSlow,
      originTimeoutMs: options.originTimeout,
      graceMs: options.grace,
      seed: options.seed,
      command: ['bench/bin/bench-origin-trouble', ...process.argv.slice(2)].join(' '),
      log: (line) => void process.stderr.write(`${line}\n`),
    },
    fleet,
  );
  process.stdout.write(options.json === true ? JSON.stringify(result) + '\n' : renderTrouble(result));
} catch (err) {
  process.stderr.write(`bench-origin-trouble: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
} finally {
  await fleet.stopAll();
}
