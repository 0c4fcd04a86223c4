// bin/client: one request to a balancer (or any node), printed pretty with latency_ms.
import { Command } from 'commander';
import { integer, kebabFlags, port } from '../lib/cli/options.js';
import { Client } from '../lib/client/client.js';
import { Status } from '../lib/protocol/status.js';

const program = new Command('client')
  .description('asks a dproxy node for a key or its metrics')
  .option('--host <host>', 'balancer address', '127.0.0.1')
  .option('--port <port>', 'balancer port', port, 9000)
  .option('--get <key>', 'fetch one key')
  .option('--metrics', 'fetch the node\'s METRICS')
  .option('--timeout <ms>', 'milliseconds to wait for the answer', integer(1), 10_000)
  .parse(kebabFlags(process.argv));
const options = program.opts<{ host: string; port: number; get?: string; metrics?: boolean; timeout: number }>();

if ((options.get === undefined) === (options.metrics !== true)) {
  program.error('give exactly one of --get <key> or --metrics');
}
const client = new Client({ host: options.host, port: options.port, timeout: options.timeout });
const started = performance.now();
const response = options.get !== undefined ? await client.get(options.get) : await client.metrics();
const latency = Math.round((performance.now() - started) * 1000) / 1000;
client.close();
process.stdout.write(JSON.stringify({ ...response, latency_ms: latency }, null, 2) + '\n');
process.exitCode = response.status === Status.OK ? 0 : 1;
