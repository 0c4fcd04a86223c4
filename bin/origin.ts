// bin/origin: serves JSON documents from a data folder.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { command, kebabFlags, nonNegative, port } from '../lib/cli/options.js';
import { runUntilSignalled } from '../lib/net/lifecycle.js';
import { checkOption, idleTimeoutOption, maxConnectionsOption, accessLogOption, logLevelOption, metricsPortOption, type EdgeFlags, type WatchFlags } from '../lib/cli/node-flags.js';
import { startOrigin } from '../lib/origin/node.js';
import { realClock } from '../lib/time/clock.js';
import { nodeLog } from '../lib/log/log.js';

const sampleData = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'data');

const options = command('origin', 'the source of truth: GET <key> answers <data-dir>/<key>.json')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--port <port>', 'port to listen on (0 = any free port)', port, 8000)
  .option('--data-dir <dir>', 'folder of JSON documents', sampleData)
  .option('--latency <ms>', 'milliseconds added before each answer', nonNegative, 0)
  .addOption(idleTimeoutOption())
  .addOption(maxConnectionsOption())
  .addOption(metricsPortOption())
  .addOption(logLevelOption())
  .addOption(accessLogOption())
  .addOption(checkOption())
  .parse(kebabFlags(process.argv))
  .opts<EdgeFlags & WatchFlags & { host: string; port: number; dataDir: string; latency: number; check?: boolean }>();

const log = nodeLog({ role: 'origin', level: options.logLevel, clock: realClock });
await runUntilSignalled('origin', startOrigin({ ...options, log, clock: realClock }), log, options);
