// Helpers for the cache-semantics specs: tracked processes and clients, a document folder, polling, a fake origin.
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { startNode, type NodeProcess } from '../../lib/cluster/process.js';
import { Client, type Response } from '../../lib/client/client.js';

/**
 * What one test started: processes, clients, folders and servers. `release` (in afterEach)
 * stops each process by its handle, closes each client and server, and removes each folder.
 */
export class Fixture {
  private readonly processes: NodeProcess[] = [];
  private readonly clients: Client[] = [];
  private readonly folders: DocFolder[] = [];
  private readonly servers: FakeOrigin[] = [];

  async start(tool: string, args: readonly string[]): Promise<NodeProcess> {
    const node = await startNode(tool, ['--port', '0', ...args]);
    this.processes.push(node);
    return node;
  }

  origin(folder: DocFolder, ...args: string[]): Promise<NodeProcess> {
    return this.start('origin', ['--data-dir', folder.dir, ...args]);
  }

  proxy(originPort: number, ...args: string[]): Promise<NodeProcess> {
    return this.start('proxy', ['--origin-port', String(originPort), ...args]);
  }

  client(port: number): Client {
    const client = new Client({ port, timeout: 10_000 });
    this.clients.push(client);
    return client;
  }

  async folder(): Promise<DocFolder> {
    const folder = new DocFolder(await mkdtemp(path.join(os.tmpdir(), 'dproxy-cache-spec-')));
    this.folders.push(folder);
    return folder;
  }

  async fakeOrigin(answer: (line: string, seen: number) => string | undefined): Promise<FakeOrigin> {
    const server = new FakeOrigin(answer);
    this.servers.push(server);
    await server.listen();
    return server;
  }

  async release(): Promise<void> {
    for (const client of this.clients.splice(0)) client.close();
    await Promise.all(this.processes.splice(0).reverse().map((node) => node.stop(2000)));
    await Promise.all(this.servers.splice(0).map((server) => server.close()));
    await Promise.all(this.folders.splice(0).map((folder) => rm(folder.dir, { recursive: true, force: true })));
  }
}

/** A temp data folder for an origin: `put('article/1', {...})` writes `article/1.json`. */
export class DocFolder {
  constructor(readonly dir: string) {}

  async put(key: string, data: unknown, meta?: { ttl: number }): Promise<void> {
    const file = path.join(this.dir, `${key}.json`);
    await mkdir(path.dirname(file), { recursive: true });
    if (meta !== undefined) await writeFile(path.join(this.dir, `${key}.meta.json`), JSON.stringify(meta));
    await writeFile(file, JSON.stringify(data));
  }
}

/** Polling with a bounded deadline is the shared one. */
export { waitFor as eventually } from './helpers.js';

/** The data of an OK METRICS answer. */
export async function metricsOf(client: Client): Promise<Record<string, number>> {
  const answer = await client.metrics();
  if (answer.status !== 'OK') throw new Error(`METRICS answered ${JSON.stringify(answer)}`);
  return answer.data as Record<string, number>;
}

/** One raw request line on a fresh connection (the text form), its answer line parsed. */
export function askLine(port: number, line: string, timeoutMs = 10_000): Promise<Response> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${JSON.stringify(line)} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${line}\n`));
    socket.on('data', (chunk: string) => {
      text += chunk;
      const nl = text.indexOf('\n');
      if (nl === -1) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(JSON.parse(text.slice(0, nl)) as Response);
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * An origin written in the spec. `answer(line, seen)` gets each request line and how many the
 * server has received in all (this one included); it returns the answer line, or undefined to
 * stay silent while keeping the connection open.
 */
export class FakeOrigin {
  readonly lines: string[] = [];
  port = 0;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(answer: (line: string, seen: number) => string | undefined) {
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => this.sockets.delete(socket));
      socket.setEncoding('utf8');
      let buffered = '';
      socket.on('data', (chunk: string) => {
        buffered += chunk;
        for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
          const line = buffered.slice(0, nl).replace(/\r$/, '');
          buffered = buffered.slice(nl + 1);
          this.lines.push(line);
          const reply = answer(line, this.lines.length);
          if (reply !== undefined) socket.write(`${reply}\n`);
        }
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export { sleep };
