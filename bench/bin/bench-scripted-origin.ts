// bench/bin/bench-scripted-origin: an origin the origin-trouble scenarios can slow down, count and kill.
import { Command } from 'commander';
import { integer, kebabFlags, port } from '../../lib/cli/options.js';
import { startScriptedOrigin } from '../lib/scripted-origin.js';
import { runUntilSignalled } from '../../lib/net/lifecycle.js';

const options = new Command('bench-scripted-origin')
  .description('answers GET <key> after --delay ms, one at a time and in order per connection; DELAY <ms>, METRICS and RESET for the bench')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--port <port>', 'port to listen on (0 = any free port)', port, 0)
  .option('--delay <ms>', 'milliseconds each GET takes', integer(0), 0)
  .parse(kebabFlags(process.argv))
  .opts<{ host: string; port: number; delay: number }>();

runUntilSignalled('scripted-origin', await startScriptedOrigin({ host: options.host, port: options.port, delayMs: options.delay }));
