// bench/bin/bench-compare (npm run bench): our balancer and proxy side by side with HAProxy and a minimal
// Node floor, same load, same run, then the origin-trouble scenarios and the HTTP origin beside nginx;
// prints markdown tables and writes bench/results/<time>.json.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { integer, kebabFlags, nonNegative } from '../../lib/cli/options.js';
import { runComparison } from '../lib/compare.js';
import { REPO, listOf } from '../lib/cli.js';
import { Fleet } from '../lib/fleet.js';
import { HTTP_CASES, HTTP_DEFAULTS, HTTP_SUBJECTS, runHttpOrigin } from '../lib/http-origin.js';
import { renderHttpOrigin, type HttpOriginResult } from '../lib/http-origin-report.js';
import { DEFAULTS as TROUBLE_DEFAULTS, runOriginTrouble, SCENARIOS } from '../lib/origin-trouble.js';
import { renderMarkdown } from '../lib/report.js';
import { renderTrouble, type OriginTrouble } from '../lib/trouble-report.js';
import { MODES, SUBJECTS, type ModeName, type Subject } from '../lib/subjects.js';

const options = new Command('bench-compare')
  .description('runs the same load against our balancer, HAProxy, a minimal Node floor, one proxy and one line server')
  .option('--duration <s>', 'seconds measured per round of a cell', nonNegative, 3)
  .option('--warmup <s>', 'seconds run before measuring, per round', nonNegative, 0.5)
  .option('--settle <s>', 'seconds each subject runs a mode unmeasured before its first round', nonNegative, 4)
  .option('--rounds <n>', 'rounds per cell, subjects interleaved; the median is reported', integer(1, 99), 3)
  .addOption(new Option('--only <subjects>', `comma-separated subset of ${SUBJECTS.join(',')}`).argParser(listOf(SUBJECTS)).default([...SUBJECTS], 'all'))
  .addOption(new Option('--modes <modes>', `comma-separated subset of ${Object.keys(MODES).join(',')}`).argParser(listOf(Object.keys(MODES) as ModeName[])).default(Object.keys(MODES), 'all'))
  .option('--keyspace <n>', 'keys bench/k1..bench/k<n>', integer(1, 1_000_000), 1000)
  .option('--seed <n>', 'random seed for documents and keys', integer(0), 1)
  .option('--no-half-load', 'skip the p99 run at half the balancer peak')
  .option('--no-memory', 'skip the 64 MiB proxy memory reading')
  .option('--no-install', 'never install HAProxy or nginx; report them as not available when missing')
  .option('--no-origin-trouble', 'skip the origin-trouble scenarios (bench/bin/bench-origin-trouble runs them alone, with flags for their sizes)')
  .option('--no-http-origin', 'skip the HTTP origin beside nginx (bench/bin/bench-http-origin runs it alone, with flags for its sizes)')
  .option('--cpu-prof', 'run every node under node --cpu-prof; print each one\'s top self-time functions')
  .addOption(new Option('--out <dir>', 'where the JSON result goes').default(path.join(REPO, 'bench', 'results'), 'bench/results'))
  .parse(kebabFlags(process.argv))
  .opts<{
    duration: number;
    warmup: number;
    settle: number;
    rounds: number;
    only: Subject[];
    modes: ModeName[];
    keyspace: number;
    seed: number;
    halfLoad: boolean;
    memory: boolean;
    install: boolean;
    originTrouble: boolean;
    httpOrigin: boolean;
    cpuProf?: boolean;
    out: string;
  }>();

const fleet = new Fleet();
fleet.stopOnSignals();

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
try {
  const cpuProfDir = options.cpuProf === true ? path.join(options.out, `profiles-${stamp}`) : undefined;
  if (cpuProfDir !== undefined) await mkdir(cpuProfDir, { recursive: true });
  const comparison = await runComparison(
    {
      durationMs: options.duration * 1000,
      warmupMs: options.warmup * 1000,
      settleMs: options.settle * 1000,
      subjects: options.only,
      modes: options.modes,
      keyspace: options.keyspace,
      seed: options.seed,
      rounds: options.rounds,
      halfLoad: options.halfLoad,
      memory: options.memory,
      installScript: options.install ? path.join(REPO, 'bench', 'scripts', 'install-haproxy.sh') : undefined,
      cpuProfDir,
      command,
      log,
    },
    fleet,
  );
  await fleet.stopAll();
  // Last, on fresh processes of its own: the comparison's figures are taken with nothing else running.
  let originTrouble: OriginTrouble | { skipped: string } | undefined;
  if (options.originTrouble) {
    originTrouble = await runOriginTrouble({ ...TROUBLE_DEFAULTS, scenarios: SCENARIOS, command, log }, fleet).catch((err: Error) => ({ skipped: err.message.split('\n')[0]! }));
    await fleet.stopAll();
  }
  let httpOrigin: HttpOriginResult | { skipped: string } | undefined;
  if (options.httpOrigin) {
    const installScript = options.install ? { installScript: path.join(REPO, 'bench', 'scripts', 'install-nginx.sh') } : {};
    httpOrigin = await runHttpOrigin({ ...HTTP_DEFAULTS, subjects: HTTP_SUBJECTS, cases: HTTP_CASES, ...installScript, command, log }, fleet).catch((err: Error) => ({ skipped: err.message.split('\n')[0]! }));
    await fleet.stopAll();
  }
  await mkdir(options.out, { recursive: true });
  const file = path.join(options.out, `${stamp}.json`);
  const stages = { ...(originTrouble === undefined ? {} : { originTrouble }), ...(httpOrigin === undefined ? {} : { httpOrigin }) };
  await writeFile(file, JSON.stringify({ ...comparison, ...stages }, null, 2) + '\n');
  process.stdout.write('\n' + renderMarkdown(comparison));
  if (originTrouble !== undefined) process.stdout.write('\n' + ('skipped' in originTrouble ? `Origin trouble not measured: ${originTrouble.skipped}\n` : renderTrouble(originTrouble)));
  if (httpOrigin !== undefined) process.stdout.write('\n' + ('skipped' in httpOrigin ? `HTTP origin not measured: ${httpOrigin.skipped}\n` : renderHttpOrigin(httpOrigin)));
  for (const profile of comparison.profiles ?? []) {
    process.stdout.write(`\nCPU profile of ${profile.process}: busy ${Math.round(profile.busy * 100)}% of its lifetime; self time, share of busy time:\n`);
    for (const f of profile.top) process.stdout.write(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.name}  ${f.location}\n`);
  }
  process.stdout.write(`\nresult: ${path.relative(process.cwd(), file)}${cpuProfDir === undefined ? '' : `, profiles: ${path.relative(process.cwd(), cpuProfDir)}`}\n`);
} catch (err) {
  log(`bench: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
} finally {
  await fleet.stopAll();
}
