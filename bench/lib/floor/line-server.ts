// The floor's line server: answers `GET key` with a pre-encoded line per key, as a proxy's hit would,
// with nothing between socket and answer but a line split and a map lookup.
import net from 'node:net';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunningNode } from '../../../lib/net/lifecycle.js';

export interface LineServerOptions {
  host: string;
  port: number;
  /** Key -> the JSON text of its value, e.g. `article/1` -> `{"id":1,...}`. */
  documents: ReadonlyMap<string, string>;
}

/**
 * Every `<key>.json` under `dir` (`.meta.json` files aside), compacted to one line: the
 * documents an origin serving `dir` would answer.
 */
export async function loadDocuments(dir: string): Promise<Map<string, string>> {
  const documents = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.json') || entry.name.endsWith('.meta.json')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const key = path.relative(dir, file).slice(0, -'.json'.length).split(path.sep).join('/');
    documents.set(key, JSON.stringify(JSON.parse(await readFile(file, 'utf8'))));
  }
  return documents;
}

const NOT_FOUND = Buffer.from('{"status":"NOT_FOUND","data":"no such key"}\n');
const WRONG_METHOD = Buffer.from('{"status":"WRONG_METHOD","data":"only GET"}\n');

export async function startLineServer(options: LineServerOptions): Promise<RunningNode> {
  const answers = new Map<string, Buffer>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    let tail = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      const lines = (tail + text).split('\n');
      tail = lines.pop()!;
      const out: Buffer[] = [];
      for (const raw of lines) {
        const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        if (!line.startsWith('GET ')) out.push(WRONG_METHOD);
        else out.push(answers.get(line.charCodeAt(4) === 0x2f ? line.slice(5) : line.slice(4)) ?? NOT_FOUND);
      }
      if (out.length === 1) socket.write(out[0]!);
      else if (out.length > 1) socket.write(Buffer.concat(out));
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  for (const [key, json] of options.documents) {
    answers.set(key, Buffer.from(`{"status":"OK","data":${json},"cache_hit":true,"node":${address.port}}\n`));
  }
  return {
    address,
    drain: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.end();
      }),
  };
}
