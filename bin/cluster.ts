// bin/cluster: a whole cluster in the foreground (origin, proxies, balancer); Ctrl-C stops it all.
import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import { integer, kebabFlags, port } from '../lib/cli/options.js';
import { startNode, type NodeProcess } from '../lib/cluster/process.js';
import { introducePeers } from '../lib/cluster/peers.js';
import { adminToken, logLevelOption } from '../lib/cli/node-flags.js';
import { LOG_FORMATS, formatLogLine, lineSplitter, type LogFormat } from '../lib/cluster/log-lines.js';
import { DEFAULT_STRATEGY, strategies } from '../lib/balancer/strategies/registry.js';
import { parseOriginUrl } from '../lib/proxy/origin-url.js';

const options = new Command('cluster')
  .description('starts an origin (or fronts an HTTP service), caching proxies and a load balancer as child processes')
  .option('--origin-port <port>', 'origin port', port, 8000)
  .option('--proxy-port <port>', 'port of the first proxy; the others follow it', port, 8001)
  .option('--proxies <n>', 'number of proxies', integer(1, 64), 3)
  .option('--port <port>', 'load balancer port', port, 9000)
  .addOption(new Option('--strategy <name>', 'balancing strategy').choices(Object.keys(strategies)).default(DEFAULT_STRATEGY))
  .option('--data-dir <dir>', 'origin data folder (default: the sample data shipped in data/)')
  .option('--latency <ms>', 'origin latency in ms', integer(0), 0)
  .option('--origin-url <url>', 'front this HTTP service (http://host:port/base/) instead of starting an origin node', originUrl)
  .option('--admin-token <token>', 'admin token of the balancer and proxies (default: a random one, printed)', adminToken)
  .option('--metrics-port <port>', "the balancer's metrics port and stats page; the origin's is the next, then the proxies' (0 = any free port)", port, 9100)
  .addOption(logLevelOption())
  .addOption(new Option('--log-format <format>', "the nodes' log lines: readable, or pino's JSON with each node's name").choices(LOG_FORMATS).default('pretty'))
  .parse(kebabFlags(process.argv))
  .opts<{
    originPort: number;
    proxyPort: number;
    proxies: number;
    port: number;
    strategy: string;
    dataDir?: string;
    latency: number;
    adminToken?: string;
    metricsPort: number;
    logLevel: string;
    logFormat: LogFormat;
    originUrl?: string;
  }>();
// Admin ops are refused without a token, so the cluster gets one: the balancer passes PURGE on with it.
const token = options.adminToken ?? randomBytes(16).toString('hex');

const started: NodeProcess[] = [];
let stopping = false;

/** `--metrics-port` of the n-th node: 0 for the balancer, 1 the origin, 2.. the proxies. */
const metricsPort = (n: number): string => String(options.metricsPort === 0 ? 0 : options.metricsPort + n);
/** Starts a node whose log lines are shown here, under its name. */
const start = (name: string, tool: string, args: string[], n: number): Promise<NodeProcess> =>
  startNode(tool, [...args, '--metrics-port', metricsPort(n), '--log-level', options.logLevel], undefined, lineSplitter((line) => {
    process.stdout.write(`${formatLogLine(name, line, options.logFormat, process.stdout.isTTY === true)}\n`);
  }));
/** The metrics URL a node printed before its listening line. */
const metricsUrl = (node: NodeProcess): string => /metrics on (http:\/\/\S+)/.exec(node.output())?.[1] ?? '(none)';

async function stopAll(code: number): Promise<never> {
  stopping = true;
  // The balancer first, so no new work reaches proxies that are draining.
  for (const node of started.reverse()) await node.stop();
  process.exit(code);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

/** The HTTP origin's URL as given, once checked, so a typo fails here rather than in every proxy. */
function originUrl(text: string): string {
  try {
    parseOriginUrl(text);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return text;
}

/** Starts the origin node, or with --origin-url starts none; resolves with the proxies' origin flags. */
async function startOrigin(): Promise<string[]> {
  if (options.originUrl !== undefined) {
    console.log(`origin         ${options.originUrl}  (HTTP, not started here)`);
    return ['--origin-url', options.originUrl];
  }
  const originArgs = ['--port', String(options.originPort), '--latency', String(options.latency)];
  if (options.dataDir !== undefined) originArgs.push('--data-dir', options.dataDir);
  const origin = await start('origin', 'origin', originArgs, 1);
  started.push(origin);
  console.log(`origin         127.0.0.1:${origin.port}  pid ${origin.child.pid}`);
  return ['--origin-port', String(origin.port)];
}

try {
  const originFlags = await startOrigin();
  const proxies: string[] = [];
  for (let i = 0; i < options.proxies; i++) {
    const wanted = options.proxyPort === 0 ? 0 : options.proxyPort + i;
    const proxy = await start(`proxy-${i + 1}`, 'proxy', ['--port', String(wanted), ...originFlags, '--admin-token', token], 2 + i);
    started.push(proxy);
    proxies.push(`127.0.0.1:${proxy.port}`);
    console.log(`proxy          127.0.0.1:${proxy.port}  pid ${proxy.child.pid}`);
  }
  // Each proxy fills a hot key spilled to it from the key's owner, one of the others.
  await introducePeers(proxies, token);
  const balancer = await start('load-balancer', 'load-balancer', ['--port', String(options.port), '--strategy', options.strategy, '--admin-token', token, '--proxies', ...proxies], 0);
  started.push(balancer);
  console.log(`load balancer  127.0.0.1:${balancer.port}  pid ${balancer.child.pid}  (${options.strategy})`);
  console.log(`admin token    ${token}  (PURGE, ADD_PROXY, DRAIN_PROXY, REMOVE_PROXY, ADD_PEER need it)`);
  console.log(`               bin/client --port ${balancer.port} --purge article/1 --token ${token}`);
  console.log(`metrics        Prometheus: ${started.map(metricsUrl).join(' ')}`);
  console.log(`stats page     ${metricsUrl(balancer).replace(/metrics$/, '')}   (or in a terminal: bin/client --port ${balancer.port} --watch)`);
  console.log(`ready: try  bin/client --port ${balancer.port} --get article/1   (Ctrl-C stops the cluster)`);
  for (const node of started) {
    void node.exited.then((code) => {
      if (stopping) return;
      console.error(`a node exited unexpectedly (code ${code}); stopping the cluster\n${node.output()}`);
      void stopAll(1);
    });
  }
} catch (err) {
  console.error((err as Error).message);
  await stopAll(1);
}
