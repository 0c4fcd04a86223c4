// bench/bin/bench-json-origin: the HTTP JSON API the HTTP-origin stage puts behind our proxy and nginx.
import { Command } from 'commander';
import { integer, kebabFlags, port } from '../../lib/cli/options.js';
import { runUntilSignalled } from '../../lib/net/lifecycle.js';
import { startJsonOrigin } from '../lib/json-origin.js';

const options = new Command('bench-json-origin')
  .description('answers GET <base><key> after --delay ms with {"key":"<key>"} and Cache-Control: max-age; GET /__metrics counts what reached it, GET /__reset zeroes that')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--port <port>', 'port to listen on (0 = any free port)', port, 0)
  .option('--delay <ms>', 'milliseconds each request takes', integer(0), 50)
  .option('--max-age <s>', 'the max-age of every answer, in seconds', integer(0), 60)
  .option('--base <path>', 'the path the keys live under', '/base/')
  .parse(kebabFlags(process.argv))
  .opts<{ host: string; port: number; delay: number; maxAge: number; base: string }>();

runUntilSignalled('json-origin', await startJsonOrigin({ host: options.host, port: options.port, delayMs: options.delay, maxAgeS: options.maxAge, base: options.base }));
