// bench/bin/bench-line-server: the benchmark floor's line server, a fixed pre-encoded answer per key.
import { Command } from 'commander';
import { kebabFlags, port } from '../../lib/cli/options.js';
import { loadDocuments, startLineServer } from '../lib/floor/line-server.js';
import { runUntilSignalled } from '../../lib/net/lifecycle.js';

const options = new Command('bench-line-server')
  .description('answers GET <key> with the document an origin serving --data-dir would, framed like a proxy hit')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--port <port>', 'port to listen on (0 = any free port)', port, 0)
  .requiredOption('--data-dir <dir>', 'folder of JSON documents')
  .parse(kebabFlags(process.argv))
  .opts<{ host: string; port: number; dataDir: string }>();

const documents = await loadDocuments(options.dataDir);
runUntilSignalled('line-server', await startLineServer({ ...options, documents }));
