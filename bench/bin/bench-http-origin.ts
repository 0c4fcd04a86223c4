// bench/bin/bench-http-origin: issue 16's HTTP-origin stage alone (npm run bench runs it as a stage): an
// HTTP origin behind one of our proxies and behind nginx, cold keys and one cold key; prints its table.
import path from 'node:path';
import { Command, Option } from 'commander';
import { integer, kebabFlags } from '../../lib/cli/options.js';
import { REPO, listOf } from '../lib/cli.js';
import { Fleet } from '../lib/fleet.js';
import { HTTP_CASES, HTTP_DEFAULTS, HTTP_SUBJECTS, runHttpOrigin } from '../lib/http-origin.js';
import { renderHttpOrigin } from '../lib/http-origin-report.js';

const d = HTTP_DEFAULTS;
const options = new Command('bench-http-origin')
  .description('an HTTP origin behind one of our proxies (bin/proxy --origin-url) and behind nginx (proxy_cache, proxy_cache_lock): time until all answered, requests that reached the origin')
  .addOption(new Option('--only <subjects>', `comma-separated subset of ${HTTP_SUBJECTS.join(',')}`).argParser(listOf(HTTP_SUBJECTS)).default([...HTTP_SUBJECTS], 'all'))
  .addOption(new Option('--cases <cases>', `comma-separated subset of ${HTTP_CASES.join(',')}`).argParser(listOf(HTTP_CASES)).default([...HTTP_CASES], 'all'))
  .option('--requests <n>', 'requests sent at once per round', integer(1), d.requests)
  .option('--conns <n>', 'client connections per subject, one request at a time on each', integer(1), d.conns)
  .option('--delay <ms>', "the origin's milliseconds per answer", integer(0), d.delayMs)
  .option('--max-age <s>', "the origin's Cache-Control max-age, in seconds", integer(1), d.maxAgeS)
  .option('--rounds <n>', 'rounds per subject and case, each on fresh processes; the median is reported', integer(1, 99), d.rounds)
  .option('--warm-runs <n>', 'unmeasured runs of the same shape, on other keys, before each measured one', integer(0, 99), d.warmRuns)
  .option('--nginx-keepalive <n>', "nginx's upstream keepalive: idle connections to the origin it keeps", integer(1), d.nginxKeepalive)
  .option('--deadline <ms>', 'milliseconds after a round starts when its unanswered requests are given up', integer(1), d.deadlineMs)
  .option('--no-install', 'never install nginx; report it as not available when missing')
  .option('--json', 'print one JSON object instead of the table')
  .parse(kebabFlags(process.argv))
  .opts<{ only: Array<(typeof HTTP_SUBJECTS)[number]>; cases: Array<(typeof HTTP_CASES)[number]>; requests: number; conns: number; delay: number; maxAge: number; rounds: number; warmRuns: number; nginxKeepalive: number; deadline: number; install: boolean; json?: boolean }>();

const fleet = new Fleet();
fleet.stopOnSignals();
try {
  const result = await runHttpOrigin(
    {
      subjects: options.only,
      cases: options.cases,
      requests: options.requests,
      conns: options.conns,
      delayMs: options.delay,
      maxAgeS: options.maxAge,
      rounds: options.rounds,
      warmRuns: options.warmRuns,
      nginxKeepalive: options.nginxKeepalive,
      deadlineMs: options.deadline,
      ...(options.install ? { installScript: path.join(REPO, 'bench', 'scripts', 'install-nginx.sh') } : {}),
      command: ['bench/bin/bench-http-origin', ...process.argv.slice(2)].join(' '),
      log: (line) => void process.stderr.write(`${line}\n`),
    },
    fleet,
  );
  process.stdout.write(options.json === true ? JSON.stringify(result) + '\n' : renderHttpOrigin(result));
} catch (err) {
  process.stderr.write(`bench-http-origin: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
} finally {
  await fleet.stopAll();
}
