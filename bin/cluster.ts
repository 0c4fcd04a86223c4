// bin/cluster: a whole cluster in the foreground (origin, proxies, balancer), each node restarted when it exits; Ctrl-C stops it all.
import { randomBytes } from 'node:crypto';
import { Option } from 'commander';
import { command, integer, kebabFlags, port } from '../lib/cli/options.js';
import { adminToken } from '../lib/cli/node-flags.js';
import { DEFAULT_STRATEGY, strategies } from '../lib/balancer/strategies/registry.js';
import { StartupError, startupProblem } from '../lib/net/lifecycle.js';
import { dataDirProblem } from '../lib/origin/data-dir.js';
import { planCluster, type ClusterFlags } from '../lib/cluster/plan.js';
import { startNode } from '../lib/cluster/process.js';
import { Supervisor } from '../lib/cluster/supervisor.js';
import { watchParent } from '../lib/cluster/parent.js';
import { realClock } from '../lib/time/clock.js';

const options = command('cluster', 'starts an origin, caching proxies and a load balancer as child processes, and restarts any that exits')
  .option('--origin-port <port>', 'origin port (0 = any free port, here and below)', port, 8000)
  .option('--proxy-port <port>', 'port of the first proxy; the others follow it', port, 8001)
  .option('--proxies <n>', 'number of proxies', integer(1, 64), 3)
  .option('--port <port>', 'load balancer port', port, 9000)
  .addOption(new Option('--strategy <name>', 'balancing strategy').choices(Object.keys(strategies)).default(DEFAULT_STRATEGY))
  .option('--data-dir <dir>', 'origin data folder (default: the sample data shipped in data/)')
  .option('--latency <ms>', 'origin latency in ms', integer(0), 0)
  .option('--admin-token <token>', 'admin token of the balancer and proxies (default: a random one, printed)', adminToken)
  .option('--no-restart', 'leave a node that exits down (default: restart it after 1 s, doubling to 30 s while it keeps failing)')
  .option('--exit-with-parent', 'stop the cluster when the process that started it exits, even by SIGKILL (npm start sets it)')
  .parse(kebabFlags(process.argv))
  .opts<Omit<ClusterFlags, 'adminToken'> & { adminToken?: string; restart: boolean; exitWithParent?: boolean }>();
// Admin ops are refused without a token, so the cluster gets one: the balancer passes PURGE on with it.
const token = options.adminToken ?? randomBytes(16).toString('hex');

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

const supervisor = new Supervisor({ clock: realClock, restart: options.restart, log, launch: (node) => startNode(node.tool, node.args) });
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
  const problem = options.dataDir === undefined ? undefined : await dataDirProblem(options.dataDir);
  if (problem !== undefined) throw new StartupError(problem);
  const nodes = await planCluster({ ...options, adminToken: token });
  await supervisor.start(nodes);
  const balancer = nodes[nodes.length - 1]!.address.split(':')[1];
  log(`admin token    ${token}  (PURGE, ADD_PROXY, DRAIN_PROXY, REMOVE_PROXY, ADD_PEER need it)`);
  log(`               bin/client --port ${balancer} --purge article/1 --token ${token}`);
  log(`ready: try  bin/client --port ${balancer} --get article/1   (Ctrl-C stops the cluster)`);
  log(`       or   kill -9 a proxy's pid: the balancer routes around it, and it is restarted`);
} catch (err) {
  const problem = startupProblem(err);
  // Anything but an operator's mistake is a bug: its stack is printed, after the nodes are stopped.
  if (problem === undefined) await supervisor.stop().then(() => Promise.reject(err));
  process.stderr.write(`cluster: ${problem}\n`);
  await stopAll(1);
}
