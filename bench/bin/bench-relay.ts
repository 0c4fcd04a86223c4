// bench/bin/bench-relay: the benchmark floor's relay, each line round-robin to the upstreams, answers in order.
import { Command } from 'commander';
import { kebabFlags, port } from '../../lib/cli/options.js';
import { startRelay } from '../lib/floor/relay.js';
import { runUntilSignalled } from '../../lib/net/lifecycle.js';

const options = new Command('bench-relay')
  .description('relays request lines round-robin to line servers over persistent connections')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--port <port>', 'port to listen on (0 = any free port)', port, 0)
  .requiredOption('--upstreams <host:port...>', 'the servers behind it')
  .parse(kebabFlags(process.argv))
  .opts<{ host: string; port: number; upstreams: string[] }>();

const upstreams = options.upstreams.map((text) => {
  const colon = text.lastIndexOf(':');
  return { host: text.slice(0, colon), port: port(text.slice(colon + 1)) };
});
runUntilSignalled('relay', await startRelay({ ...options, upstreams }));
