// An upstream connection's I/O over real loopback sockets: lines of a turn in one write, answers by line, connect outcomes.
import type net from 'node:net';
import { expect } from 'chai';
import { PeerSocket, type PeerSocketEvents } from '../../lib/net/peer-socket.js';
import { SpecServer, closedPort, until } from '../integration/helpers.js';

describe('PeerSocket', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  /** Events written down as they come: `line <text>`, `tooLong`, `refused`, `closed`. */
  function recorder(): { events: PeerSocketEvents; seen: string[] } {
    const seen: string[] = [];
    return {
      seen,
      events: {
        line: (bytes, start, end) => seen.push(`line ${bytes.subarray(start, end).toString().trimEnd()}`),
        tooLong: () => seen.push('tooLong'),
        refused: () => seen.push('refused'),
        closed: () => seen.push('closed'),
      },
    };
  }

  /** A peer that records each chunk it reads, and whose connection sockets the spec can write to. */
  async function peer(): Promise<{ chunks: string[]; sockets: net.Socket[]; port: number }> {
    const chunks: string[] = [];
    const sockets: net.Socket[] = [];
    const server = new SpecServer((socket) => {
      sockets.push(socket);
      socket.on('data', (chunk) => chunks.push(chunk.toString()));
    });
    await server.listen();
    cleanup.push(() => server.close());
    return { chunks, sockets, port: server.port };
  }

  it('writes the lines sent in one turn in one write, and hands each answer line on', async () => {
    const { chunks, sockets, port } = await peer();
    const { events, seen } = recorder();
    const socket = new PeerSocket('127.0.0.1', port, 1024, 0, events);
    cleanup.push(() => socket.destroy());
    socket.send('GET a');
    socket.send('GET b');
    await until('the peer to read both', () => chunks.join('').split('\n').length === 3);
    expect(chunks).to.deep.equal(['GET a\nGET b\n']);
    expect(socket.connected).to.equal(true);
    sockets[0]!.write('{"status":"OK"}\n{"status":"NOT_FOUND"}\n');
    await until('both answers', () => seen.length === 2);
    expect(seen).to.deep.equal(['line {"status":"OK"}', 'line {"status":"NOT_FOUND"}']);
  });

  it('says an answer is too long, and that the peer closed', async () => {
    const { sockets, port } = await peer();
    const { events, seen } = recorder();
    const socket = new PeerSocket('127.0.0.1', port, 8, 0, events);
    cleanup.push(() => socket.destroy());
    await until('the connection', () => sockets.length === 1);
    sockets[0]!.write('{"status":"OK","data":"long"}\n');
    await until('too long', () => seen.includes('tooLong'));
    sockets[0]!.destroy();
    await until('closed', () => seen.includes('closed'));
  });

  it('says refused when nothing listens, and its connect is overdue from the connect timeout on', async () => {
    const { events, seen } = recorder();
    const socket = new PeerSocket('127.0.0.1', await closedPort(), 1024, 1000, events);
    cleanup.push(() => socket.destroy());
    expect(socket.connectOverdue(1499, 500)).to.equal(false);
    expect(socket.connectOverdue(1500, 500)).to.equal(true);
    await until('refused', () => seen.includes('refused'));
    expect(seen[0]).to.equal('refused');
  });
});
