// bin/cluster: a whole cluster in the foreground (origin, proxies, balancer), each node restarted when it exits; Ctrl-C stops it all.
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, Option } from 'commander';
import { command, integer, kebabFlags, port } from '../lib/cli/options.js';
import { adminToken, logLevelOption } from '../lib/cli/node-flags.js';
import { DEFAULT_STRATEGY, strategies } from '../lib/balancer/strategies/registry.js';
import { StartupError, startupProblem } from '../lib/net/lifecycle.js';
import { dataDirProblem } from '../lib/origin/data-dir.js';
import { parseOriginHeader, parseOriginUrl } from '../lib/proxy/origin-url.js';
import { DEFAULT_RETRY_ON, parseRetryOn } from '../lib/proxy/retry-on.js';
import { planCluster, type ClusterFlags } from '../lib/cluster/plan.js';
import { startNode } from '../lib/cluster/process.js';
import { Supervisor, type NodeSpec } from '../lib/cluster/supervisor.js';
import { watchParent } from '../lib/cluster/parent.js';
import { LOG_FORMATS, formatLogLine, lineSplitter, type LogFormat } from '../lib/cluster/log-lines.js';
import { realClock } from '../lib/time/clock.js';

const program = command('cluster', 'starts an origin (or fronts an HTTP service), caching proxies and a load balancer as child processes, and restarts any that exits')
  .option('--origin-port <port>', 'origin port (0 = any free port, here and below)', port, 8000)
  .option('--proxy-port <port>', 'port of the first proxy; the others follow it', port, 8001)
  .option('--proxies <n>', 'number of proxies', integer(1, 64), 3)
  .option('--port <port>', 'load balancer port', port, 9000)
  .addOption(new Option('--strategy <name>', 'balancing strategy').choices(Object.keys(strategies)).default(DEFAULT_STRATEGY))
  .option('--data-dir <dir>', 'origin data folder (default: the sample data shipped in data/)')
  .option('--latency <ms>', 'origin latency in ms', integer(0), 0)
  .option('--origin-url <url>', 'front this HTTP service (http://host:port/base/) instead of starting an origin node', checkedBy(parseOriginUrl))
  .option('--origin-header <header>', 'a header every proxy\'s request to the --origin-url service carries, "Name: value" (repeatable)', originHeader)
  .option('--origin-retry-on <causes>', `failed origin fetches each proxy retries once (bin/proxy --origin-retry-on; default ${DEFAULT_RETRY_ON.join(',')})`, checkedBy(parseRetryOn))
  .option('--admin-token <token>', 'admin token of the balancer and proxies (default: a random one, printed)', adminToken)
  .option('--metrics-port <port>', "the balancer's metrics port and stats page; the origin's is the next, then the proxies'", port, 9100)
  .addOption(logLevelOption())
  .addOption(new Option('--log-format <format>', "the nodes' log lines: readable, or pino's JSON with each node's name").choices(LOG_FORMATS).default('pretty'))
  .option('--no-restart', 'leave a node that exits down (default: restart it after 1 s, doubling to 30 s while it keeps failing)')
  .option('--exit-with-parent', 'stop the cluster when the process that started it exits, even by SIGKILL (npm start sets it)')
  .parse(kebabFlags(process.argv));
const options = program.opts<Omit<ClusterFlags, 'adminToken' | 'originHeaders'> & { adminToken?: string; originHeader?: string[]; logFormat: LogFormat; restart: boolean; exitWithParent?: boolean }>();
if (options.originHeader !== undefined && options.originUrl === undefined) program.error("error: option '--origin-header' needs --origin-url: only an HTTP origin takes headers");
// Admin ops are refused without a token, so the cluster gets one: the balancer passes PURGE on with it.
const token = options.adminToken ?? randomBytes(16).toString('hex');

/**
 * A flag's value as given, once `parse` has accepted it, so a typo fails here in one line rather
 * than in every proxy; `parse` throws an Error saying what is wrong.
 */
function checkedBy(parse: (text: string) => unknown): (text: string) => string {
  return (text) => {
    try {
      parse(text);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
    return text;
  };
}

/** Each --origin-header as given, once checked: the flag repeats. */
function originHeader(text: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), checkedBy(parseOriginHeader)(text)];
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Starts a node whose log lines are shown here, under its name. */
const launch = (node: NodeSpec): ReturnType<typeof startNode> =>
  startNode(node.tool, node.args, undefined, lineSplitter((line) => log(formatLogLine(node.name, line, options.logFormat, process.stdout.isTTY === true))));

const supervisor = new Supervisor({ clock: realClock, restart: options.restart, log, launch });
let stopping = false;
async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await supervisor.stop();
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopAll(0));
// A reader that went away (`npm start | head`) leaves no one to tell: stop rather than crash and orphan the nodes.
process.stdout.on('error', () => void stopAll(1));
if (options.exitWithParent === true) watchParent(realClock, () => void stopAll(0));

try {
  const problem = options.dataDir === undefined || options.originUrl !== undefined ? undefined : await dataDirProblem(options.dataDir);
  if (problem !== undefined) throw new StartupError(problem);
  const nodes = await planCluster({ ...options, adminToken: token, ...(options.originHeader === undefined ? {} : { originHeaders: options.originHeader }) });
  if (options.originUrl !== undefined) log(`origin         ${options.originUrl}  (HTTP, not started here)`);
  await supervisor.start(nodes);
  const balancer = nodes[nodes.length - 1]!;
  const balancerPort = balancer.address.split(':')[1];
  log(`admin token    ${token}  (PURGE, ADD_PROXY, DRAIN_PROXY, REMOVE_PROXY, ADD_PEER need it)`);
  log(`               bin/client --port ${balancerPort} --purge article/1 --token ${token}`);
  log(`metrics        Prometheus: ${nodes.map((node) => `http://${node.metrics!}/metrics`).join(' ')}`);
  log(`stats page     http://${balancer.metrics!}/   (or in a terminal: bin/client --port ${balancerPort} --watch)`);
  log(`ready: try  bin/client --port ${balancerPort} --get article/1   (Ctrl-C stops the cluster)`);
  log(`       or   kill -9 a proxy's pid: the balancer routes around it, and it is restarted`);
} catch (err) {
  const problem = startupProblem(err);
  // Anything but an operator's mistake is a bug: its stack is printed, after the nodes are stopped.
  if (problem === undefined) await supervisor.stop().then(() => Promise.reject(err));
  process.stderr.write(`cluster: ${problem}\n`);
  await stopAll(1);
}
