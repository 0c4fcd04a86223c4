// bin/client: one request to a balancer (or any node), printed pretty with latency_ms; METRICS as a table on a terminal; --watch redrawn like top.
import { InvalidArgumentError, Option } from 'commander';
import { addresses, command, integer, kebabFlags, port } from '../lib/cli/options.js';
import { Client } from '../lib/client/client.js';
import { metricsTable } from '../lib/client/metrics-table.js';
import { parseAddress, readAddress } from '../lib/protocol/address.js';
import { Status } from '../lib/protocol/status.js';
import { monotonicMs, realClock } from '../lib/time/clock.js';
import { watch } from '../lib/client/watch.js';

/** The argument of a membership op: host:port, as the balancer's --proxies names its proxies. */
function proxyAddress(text: string): string {
  if (readAddress(text) === undefined) throw new InvalidArgumentError('expected host:port, such as 127.0.0.1:8004');
  return text;
}

const program = command('client', 'sends one request to a dproxy node (a key, its metrics, an admin op) and prints the answer')
  .option('--host <host>', 'balancer address', '127.0.0.1')
  .option('--port <port>', 'balancer port', port, 9000)
  .option('--balancers <host:port...>', 'several balancers, tried in order (instead of --host/--port)', addresses())
  .option('--get <key>', 'fetch one key')
  .option('--metrics', "fetch the node's METRICS (a table on a terminal; JSON otherwise, or with --json)")
  .option('--watch', "show the balancer's proxies and totals, redrawn each second like top (q or Ctrl-C quits)")
  .option('--purge <key>', "remove one key from every proxy's cache")
  .option('--purge-prefix <prefix>', 'remove every key starting with prefix ("" = all)')
  .option('--add-proxy <host:port>', 'add a proxy to the balancer', proxyAddress)
  .option('--drain-proxy <host:port>', 'send a proxy no new requests; it leaves once those it has are answered', proxyAddress)
  .option('--remove-proxy <host:port>', 'take a proxy out at once; requests it has still get their answers', proxyAddress)
  .addOption(new Option('--token <token>', 'admin token for --purge, --purge-prefix and the proxy ops').env('DPROXY_TOKEN'))
  .option('--json', 'print the answer as JSON, --metrics on a terminal too')
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
  addProxy?: string;
  drainProxy?: string;
  removeProxy?: string;
  token?: string;
  json?: boolean;
  timeout: number;
}>();

const token = options.token === undefined ? {} : { token: options.token };
const requests = [
  options.get !== undefined && { op: 'GET', key: options.get },
  options.metrics === true && { op: 'METRICS' },
  options.purge !== undefined && { op: 'PURGE', key: options.purge, ...token },
  options.purgePrefix !== undefined && { op: 'PURGE', prefix: options.purgePrefix, ...token },
  options.addProxy !== undefined && { op: 'ADD_PROXY', address: options.addProxy, ...token },
  options.drainProxy !== undefined && { op: 'DRAIN_PROXY', address: options.drainProxy, ...token },
  options.removeProxy !== undefined && { op: 'REMOVE_PROXY', address: options.removeProxy, ...token },
].filter((r) => r !== false);
if (requests.length + (options.watch === true ? 1 : 0) !== 1) {
  program.error('give exactly one of --get, --metrics, --watch, --purge, --purge-prefix, --add-proxy, --drain-proxy, --remove-proxy');
}
const balancers = options.balancers?.map(parseAddress) ?? [{ host: options.host, port: options.port }];
const client = new Client({ addresses: balancers, timeout: options.timeout });
if (options.watch === true) {
  const title = balancers.map((a) => `${a.host}:${a.port}`).join(' ');
  await watch({ metrics: () => client.metrics(), title, clock: realClock, out: process.stdout, input: process.stdin });
  client.close();
  process.exit(0);
}
const started = monotonicMs();
const response = await client.send(requests[0]!);
const latency = Math.round((monotonicMs() - started) * 1000) / 1000;
client.close();
const table = options.metrics === true && options.json !== true && process.stdout.isTTY && response.status === Status.OK;
process.stdout.write(
  table
    ? `${metricsTable(response.data as Record<string, unknown>)}(answered in ${latency} ms)\n`
    : JSON.stringify({ ...response, latency_ms: latency }, null, 2) + '\n',
);
process.exitCode = response.status === Status.OK ? 0 : 1;
