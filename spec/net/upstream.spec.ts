// The upstream link over real loopback sockets, against small peers written here; time is virtual.
import type net from 'node:net';
import { expect } from 'chai';
import { UpstreamLink, type LinkFailure, type LinkOptions } from '../../lib/net/upstream.js';
import { PeerProfile } from '../../lib/net/peer-profile.js';
import { SWEEP_EXPIRIES_PER_TURN } from '../../lib/net/deadline-sweep.js';
import { KEEPALIVE_PURGE_BATCH, KEEPALIVE_PURGE_TICK_MS } from '../../lib/net/keepalive.js';
import { getRequest, type LinkRequest } from '../../lib/protocol/upstream-request.js';
import { OneShotPeer, SpecServer, onLines, until } from '../integration/helpers.js';
import { ManualClock } from './manual-clock.js';

/** What a peer read: the line, and which of its connections (1, 2, ...) carried it. */
interface Seen {
  line: string;
  connection: number;
}

/** A request as a peer read it, and a way to answer it. */
interface Heard {
  key: string;
  /** The id it carried (JSON form), if any. */
  id?: number;
  json: boolean;
  connection: number;
  /** Writes `body` as the answer line, echoing the id unless told not to. */
  answer(body?: object, echo?: boolean): void;
  socket: net.Socket;
}

/**
 * A persistent peer: reads every line on every connection and hands each request, text or JSON,
 * to `onRequest`, which answers it (or not) when it likes. By default it answers at once with
 * `{"status":"OK","data":"<key>"}`, echoing the id as our own servers do.
 */
class Peer extends SpecServer {
  readonly seen: Seen[] = [];
  connections = 0;
  /** Connections the link has closed (or the peer, when a handler destroys one). */
  closes = 0;

  constructor(private readonly onRequest: (heard: Heard) => void = (heard) => heard.answer()) {
    super((socket) => {
      const connection = ++this.connections;
      socket.once('close', () => this.closes++);
      onLines(socket, (line) => {
        this.seen.push({ line, connection });
        this.onRequest(hear(line, connection, socket));
      });
    });
  }

  get lines(): string[] {
    return this.seen.map((s) => s.line);
  }
}

function hear(line: string, connection: number, socket: net.Socket): Heard {
  let key = '';
  let id: number | undefined;
  const json = line.startsWith('{');
  if (json) {
    const request = JSON.parse(line) as { key?: string; op: string; id?: number };
    key = request.key ?? request.op;
    id = request.id;
  } else {
    key = line.includes(' ') ? line.slice(line.indexOf(' ') + 1) : line;
  }
  return {
    key,
    id,
    json,
    connection,
    socket,
    answer: (body = { status: 'OK', data: key }, echo = true) => {
      const withId = echo && id !== undefined ? { ...body, id } : body;
      if (!socket.destroyed) socket.write(`${JSON.stringify(withId)}\n`);
    },
  };
}

/** A one-shot peer's answer: OK with the key it was asked for as its data. */
const echoKey = (line: string): object => ({ status: 'OK', data: line.slice(line.indexOf(' ') + 1) });

interface Outcome {
  failure: LinkFailure | null;
  answer: string;
}

const ok = (key: string): Outcome => ({ failure: null, answer: `{"status":"OK","data":"${key}"}` });

/** Sends one request; the promise settles with its outcome, or rejects if none comes within 5 s. */
function ask(link: UpstreamLink, request: LinkRequest | string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no outcome for ${JSON.stringify(request)} within 5 s`)), 5000);
    link.request(typeof request === 'string' ? getRequest(request) : request, (failure, answer) => {
      clearTimeout(timer);
      resolve({ failure, answer: answer.toString() });
    });
  });
}

describe('UpstreamLink', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function start<P extends { listen(): Promise<number>; close(): Promise<void>; port: number }>(
    peer: P,
    options: Partial<LinkOptions> = {},
  ): Promise<{ peer: P; link: UpstreamLink; clock: ManualClock }> {
    await peer.listen();
    cleanup.push(() => peer.close());
    const clock = new ManualClock();
    const link = new UpstreamLink({ host: '127.0.0.1', port: peer.port, clock, maxConnections: 1, ...options });
    cleanup.push(() => link.close());
    return { peer, link, clock };
  }

  /** Two sequential requests: what a connection must answer before the link trusts it to pipeline. */
  async function warmUp(link: UpstreamLink): Promise<void> {
    expect(await ask(link, 'w/1')).to.deep.equal(ok('w/1'));
    expect(await ask(link, 'w/2')).to.deep.equal(ok('w/2'));
  }

  describe('with ids', () => {
    it('sends text until a connection has answered two requests, then JSON with ids', async () => {
      const { peer, link } = await start(new Peer(), { ids: true });
      await warmUp(link);
      expect(await ask(link, 'a/1')).to.deep.equal(ok('a/1'));
      const outcomes = await Promise.all(['a/2', 'a/3', 'a/4'].map((k) => ask(link, k)));
      expect(outcomes).to.deep.equal(['a/2', 'a/3', 'a/4'].map(ok));
      expect(peer.lines.slice(0, 2)).to.deep.equal(['GET w/1', 'GET w/2']);
      const later = peer.lines.slice(2).map((line) => JSON.parse(line) as { op: string; key: string; id: number });
      expect(later.map(({ op, key }) => ({ op, key }))).to.deep.equal(['a/1', 'a/2', 'a/3', 'a/4'].map((key) => ({ op: 'GET', key })));
      expect(new Set(later.map((r) => r.id)).size, 'distinct ids').to.equal(4);
      expect(peer.connections).to.equal(1);
    });

    it('hands up each answer without the id it echoed, exactly as the peer wrote the rest', async () => {
      const { link } = await start(
        new Peer((heard) => heard.answer({ status: 'OK', data: { id: 7, key: heard.key }, cache_hit: false, node: 8001 })),
        { ids: true },
      );
      await ask(link, 'w/1');
      await ask(link, 'w/2');
      expect((await ask(link, 'a/1')).answer).to.equal('{"status":"OK","data":{"id":7,"key":"a/1"},"cache_hit":false,"node":8001}');
    });

    it('matches answers that come back out of order to their own requests', async () => {
      // The peer answers a slow key only after it has answered the fast one sent behind it.
      const parked: Heard[] = [];
      const { peer, link } = await start(
        new Peer((heard) => {
          if (heard.key.startsWith('slow') && heard.json) return void parked.push(heard);
          heard.answer();
          for (const p of parked.splice(0)) p.answer();
        }),
        { ids: true },
      );
      await warmUp(link);
      await ask(link, 'trial/1');
      const order: string[] = [];
      const track = (key: string) => ask(link, key).then((o) => (order.push(key), o));
      const [slow, fast] = await Promise.all([track('slow/1'), track('fast/1')]);
      expect(slow).to.deep.equal(ok('slow/1'));
      expect(fast).to.deep.equal(ok('fast/1'));
      expect(order).to.deep.equal(['fast/1', 'slow/1']);
      expect(peer.connections).to.equal(1);
    });

    it('packs requests onto one connection up to its ids depth, then opens another (with ids from its first request) up to the cap, then queues', async () => {
      // The peer holds every p/ request, so each stays in flight where the link put it.
      const parked: Heard[] = [];
      const { link } = await start(new Peer((heard) => (heard.key.startsWith('p/') ? parked.push(heard) : heard.answer())), {
        ids: true,
        maxConnections: 2,
        idsDepth: 3,
      });
      await warmUp(link);
      await ask(link, 'trial/1');
      const keys = ['p/1', 'p/2', 'p/3', 'p/4', 'p/5', 'p/6', 'p/7'];
      const outcomes = Promise.all(keys.map((k) => ask(link, k)));
      await until('three requests on each connection', () => parked.length === 6);
      // The peer has echoed an id, so the second connection needs no warm-up: it carries ids at once.
      expect(parked.map((p) => [p.connection, p.json])).to.deep.equal([[1, true], [1, true], [1, true], [2, true], [2, true], [2, true]]);
      // At the cap, with both connections full, the seventh waits.
      expect(link.queued).to.equal(1);
      for (const p of parked) p.answer();
      await until('the seventh', () => parked.length === 7);
      parked[6]!.answer();
      expect(await outcomes).to.deep.equal(keys.map(ok));
    });

    it('learns from another link sharing its profile that the peer echoes ids, and retires a connection warming behind a held request', async () => {
      const held: Heard[] = [];
      const profile = new PeerProfile();
      const { peer, link: traffic, clock } = await start(new Peer((heard) => (heard.key.startsWith('held/') ? held.push(heard) : heard.answer())), {
        ids: true,
        maxConnections: 1,
        profile,
      });
      const probes = new UpstreamLink({ host: '127.0.0.1', port: peer.port, clock, maxConnections: 1, ids: true, profile });
      cleanup.push(() => probes.close());
      const outcomes = Promise.all([ask(traffic, 'held/1'), ask(traffic, 'b/1')]);
      await until('the held request at the peer', () => held.length === 1);
      // The traffic link's one connection is still warming, held: b/1 waits at the cap.
      expect(traffic.queued).to.equal(1);
      await warmUp(probes);
      expect(await ask(probes, 'trial/1')).to.deep.equal(ok('trial/1'));
      expect(profile.echoesIds).to.equal(true);
      clock.advance(50);
      await until('b/1 at the peer', () => peer.seen.some((s) => s.line.includes('b/1')));
      const b = peer.seen.find((s) => s.line.includes('b/1'))!;
      expect(JSON.parse(b.line)).to.include({ op: 'GET', key: 'b/1' });
      held[0]!.answer();
      expect(await outcomes).to.deep.equal([ok('held/1'), ok('b/1')]);
      // The warming connection, answered, closes rather than carry the next request as text.
      expect(await ask(traffic, 'c/1')).to.deep.equal(ok('c/1'));
      expect(JSON.parse(peer.seen.at(-1)!.line)).to.include({ op: 'GET', key: 'c/1' });
      await until('the warming connection closed', () => peer.closes === 1);
    });

    it('closes an idle connection left warming when another link learned the peer echoes ids, rather than wait behind it at the cap', async () => {
      const profile = new PeerProfile();
      const { peer, link: probes } = await start(new Peer(), { ids: true, maxConnections: 1, profile });
      const traffic = new UpstreamLink({ host: '127.0.0.1', port: peer.port, clock: new ManualClock(), maxConnections: 1, ids: true, profile });
      cleanup.push(() => traffic.close());
      // The probe link's one connection has answered once, in text, and rests idle.
      expect(await ask(probes, 'p/1')).to.deep.equal(ok('p/1'));
      await warmUp(traffic);
      expect(await ask(traffic, 't/1')).to.deep.equal(ok('t/1'));
      expect(profile.echoesIds).to.equal(true);
      // That idle connection is now one warming in text: the next probe goes on a fresh one, with an id.
      expect(await ask(probes, 'p/2')).to.deep.equal(ok('p/2'));
      expect(JSON.parse(peer.seen.at(-1)!.line)).to.include({ op: 'GET', key: 'p/2' });
    });

    it('falls back to text for good when the peer answers JSON without echoing the id, mixing up no answers', async () => {
      const { peer, link } = await start(new Peer((heard) => heard.answer(undefined, false)), { ids: true });
      await warmUp(link);
      expect(await ask(link, 'a/1')).to.deep.equal(ok('a/1'));
      expect(link.triesIds).to.equal(false);
      const keys = ['b/1', 'b/2', 'b/3', 'b/4', 'b/5'];
      expect(await Promise.all(keys.map((k) => ask(link, k)))).to.deep.equal(keys.map(ok));
      expect(await ask(link, 'c/1')).to.deep.equal(ok('c/1'));
      const json = peer.lines.filter((line) => line.startsWith('{'));
      expect(json.map((line) => (JSON.parse(line) as { key: string }).key)).to.deep.equal(['a/1']);
      expect(peer.lines.filter((line) => line === 'GET a/1')).to.have.length(1);
    });

    it('stops sending ids on every connection once one finds the peer does not echo them', async () => {
      // Only the first connection echoes ids (as if the peer changed between connections). With
      // one request per connection at a time, each pair opens and then uses the second connection.
      const { peer, link } = await start(new Peer((heard) => heard.answer(undefined, heard.connection === 1)), {
        ids: true,
        maxConnections: 2,
        idsDepth: 1,
      });
      await warmUp(link);
      await ask(link, 'a/1');
      for (let pair = 1; link.triesIds && pair <= 20; pair++) {
        const keys = [`p${pair}/1`, `p${pair}/2`];
        expect(await Promise.all(keys.map((k) => ask(link, k)))).to.deep.equal(keys.map(ok));
      }
      expect(link.triesIds).to.equal(false);
      const fellBackAt = peer.seen.length;
      const keys = ['z/1', 'z/2', 'z/3', 'z/4'];
      expect(await Promise.all(keys.map((k) => ask(link, k)))).to.deep.equal(keys.map(ok));
      const after = peer.seen.slice(fellBackAt);
      expect(after.filter((s) => s.line.startsWith('{'))).to.deep.equal([]);
      expect(after.filter((s) => s.connection <= 2)).to.deep.equal([]);
    });

    it('falls back to text when a text-only peer rejects the JSON line, and resends that request as text', async () => {
      const { peer, link } = await start(
        new Peer((heard) => heard.answer(heard.json ? { status: 'BAD_REQUEST', error: 'not METHOD url' } : undefined, false)),
        { ids: true },
      );
      await warmUp(link);
      expect(await ask(link, 'a/1')).to.deep.equal(ok('a/1'));
      expect(await Promise.all(['a/2', 'a/3'].map((k) => ask(link, k)))).to.deep.equal(['a/2', 'a/3'].map(ok));
      expect(peer.lines.filter((line) => line.startsWith('{'))).to.have.length(1);
    });

    it('falls back to text when an answer names an id it was never sent, resending what was outstanding', async () => {
      let lie = true;
      const { peer, link } = await start(
        new Peer((heard) => {
          if (heard.json && heard.key === 'b/1' && lie) {
            lie = false;
            heard.socket.write(`${JSON.stringify({ status: 'OK', data: heard.key, id: 999_999 })}\n`);
            return;
          }
          heard.answer();
        }),
        { ids: true },
      );
      await warmUp(link);
      await ask(link, 'a/1');
      expect(await Promise.all(['b/1', 'b/2'].map((k) => ask(link, k)))).to.deep.equal(['b/1', 'b/2'].map(ok));
      expect(link.triesIds).to.equal(false);
      expect(peer.lines.filter((line) => line === 'GET b/1')).to.have.length(1);
    });

    it('fails only the late request when a request times out, and keeps the connection', async () => {
      const { peer, link, clock } = await start(new Peer((heard) => heard.key !== 'never/1' && heard.answer()), { ids: true, requestTimeout: 100 });
      await warmUp(link);
      await ask(link, 'a/1');
      const never = ask(link, 'never/1');
      expect(await Promise.all(['b/1', 'b/2'].map((k) => ask(link, k)))).to.deep.equal(['b/1', 'b/2'].map(ok));
      clock.advance(150);
      expect(await never).to.deep.equal({ failure: 'timeout', answer: '' });
      expect(await ask(link, 'c/1')).to.deep.equal(ok('c/1'));
      expect(peer.connections).to.equal(1);
    });

    it('drops the late answer to a timed-out request without taking it for another\'s', async () => {
      const parked: Heard[] = [];
      const { peer, link, clock } = await start(
        new Peer((heard) => (heard.key === 'late/1' ? parked.push(heard) : heard.answer())),
        { ids: true, requestTimeout: 100 },
      );
      await warmUp(link);
      await ask(link, 'a/1');
      const late = ask(link, 'late/1');
      await until('the peer to read late/1', () => parked.length === 1);
      clock.advance(150);
      expect(await late).to.deep.equal({ failure: 'timeout', answer: '' });
      parked[0]!.answer();
      expect(await ask(link, 'c/1')).to.deep.equal(ok('c/1'));
      expect(link.triesIds).to.equal(true);
      expect(peer.connections).to.equal(1);
    });

    it('retires a connection whose requests keep timing out unanswered, for a fresh one', async () => {
      const { peer, link, clock } = await start(new Peer((heard) => !heard.key.startsWith('never') && heard.answer()), {
        ids: true,
        requestTimeout: 100,
      });
      await warmUp(link);
      await ask(link, 'a/1');
      const lost = ['never/1', 'never/2', 'never/3', 'never/4'].map((k) => ask(link, k));
      await until('the peer to read the four requests', () => peer.lines.length === 7);
      clock.advance(150);
      expect(await Promise.all(lost)).to.deep.equal(lost.map(() => ({ failure: 'timeout', answer: '' })));
      expect(await ask(link, 'c/1')).to.deep.equal(ok('c/1'));
      // The fresh connection carries ids from its first request: the peer is known to echo them.
      expect(peer.seen.at(-1)?.connection).to.equal(2);
      expect(JSON.parse(peer.seen.at(-1)!.line)).to.include({ op: 'GET', key: 'c/1' });
    });

    it('resends the unanswered requests on a fresh connection when a persistent peer closes, with ids from its first request', async () => {
      let served = 0;
      const { peer, link } = await start(
        new Peer((heard) => {
          // Closes its first connection instead of answering the fourth request on it (a restart).
          if (heard.connection === 1 && ++served === 4) return void heard.socket.destroy();
          heard.answer();
        }),
        { ids: true },
      );
      await warmUp(link);
      await ask(link, 'a/1');
      expect(await ask(link, 'b/1')).to.deep.equal(ok('b/1'));
      expect(peer.seen.filter((s) => s.line.includes('b/1')).map((s) => s.connection)).to.deep.equal([1, 2]);
      expect(link.answersOnePerConnection).to.equal(false);
      await ask(link, 'c/1');
      await ask(link, 'c/2');
      expect(await Promise.all(['d/1', 'd/2', 'd/3'].map((k) => ask(link, k)))).to.deep.equal(['d/1', 'd/2', 'd/3'].map(ok));
      // b/1 resent, c/1, c/2, d/1..d/3: all with ids, since the peer echoed them on the first connection.
      expect(peer.seen.filter((s) => s.line.startsWith('{') && s.connection === 2)).to.have.length(6);
    });

    it('sends a request that has no text form as JSON without an id until the connection carries ids', async () => {
      const { peer, link } = await start(new Peer(), { ids: true });
      const purge: LinkRequest = { json: '{"op":"PURGE","prefix":"a/"}' };
      expect(await ask(link, purge)).to.deep.equal(ok('PURGE'));
      await ask(link, 'w/1');
      await ask(link, purge);
      expect(await ask(link, purge)).to.deep.equal(ok('PURGE'));
      expect(peer.lines[0]).to.equal('{"op":"PURGE","prefix":"a/"}');
      expect(JSON.parse(peer.lines[3]!)).to.have.property('id');
    });
  });

  describe('without ids', () => {
    it('sends only text, and never a second request on a connection before the first is answered', async () => {
      const parked: Heard[] = [];
      const { peer, link } = await start(
        new Peer((heard) => (heard.key.startsWith('p/') ? parked.push(heard) : heard.answer())),
        { maxConnections: 4 },
      );
      await warmUp(link);
      const keys = ['p/1', 'p/2', 'p/3', 'p/4'];
      const outcomes = Promise.all(keys.map((k) => ask(link, k)));
      await until('the four requests', () => parked.length === 4);
      expect(new Set(parked.map((p) => p.connection)).size, 'one connection each').to.equal(4);
      for (const p of parked) p.answer();
      expect(await outcomes).to.deep.equal(keys.map(ok));
      expect(peer.lines.every((line) => line.startsWith('GET '))).to.equal(true);
    });

    it('opens connections up to its cap, then queues what is left, first in first out', async () => {
      const parked: Heard[] = [];
      const { peer, link } = await start(new Peer((heard) => parked.push(heard)), { maxConnections: 2 });
      const keys = ['q/1', 'q/2', 'q/3', 'q/4', 'q/5'];
      const outcomes = Promise.all(keys.map((k) => ask(link, k)));
      await until('two requests at the peer', () => parked.length === 2);
      expect(peer.connections).to.equal(2);
      expect(link.queued).to.equal(3);
      // Each answer frees a connection, which takes the oldest request waiting.
      for (let answered = 0; answered < keys.length; answered++) {
        await until(`request ${answered + 1} at the peer`, () => parked.length > answered);
        parked[answered]!.answer();
      }
      expect(await outcomes).to.deep.equal(keys.map(ok));
      expect(parked.map((p) => p.key)).to.deep.equal(keys);
      expect(peer.connections).to.equal(2);
    });

    it('keeps `keepAlive` connections once idle, closing the least recently used at the next purge', async () => {
      const parked: Heard[] = [];
      const { peer, link, clock } = await start(
        new Peer((heard) => (heard.key.startsWith('p/') ? parked.push(heard) : heard.answer())),
        { maxConnections: 4, keepAlive: 1 },
      );
      const keys = ['p/1', 'p/2', 'p/3', 'p/4'];
      const outcomes = keys.map((k) => ask(link, k));
      await until('four requests on four connections', () => parked.length === 4);
      for (const [i, p] of parked.entries()) {
        p.answer();
        expect(await outcomes[i]!).to.deep.equal(ok(keys[i]!));
      }
      expect(link.openConnections, 'idle past keepAlive until the purge').to.equal(4);
      clock.advance(KEEPALIVE_PURGE_TICK_MS);
      await until('three connections closed', () => peer.closes === 3);
      expect(link.openConnections).to.equal(1);
      expect(await ask(link, 'a/1')).to.deep.equal(ok('a/1'));
      // The one kept is the one that answered last.
      expect(peer.seen.at(-1)).to.deep.equal({ line: 'GET a/1', connection: parked[3]!.connection });
      expect(peer.closes).to.equal(3);
    });

    it('closes the idle connections past `keepAlive` a batch a purge, and reuses them until then', async () => {
      const parked: Heard[] = [];
      const count = KEEPALIVE_PURGE_BATCH + 9;
      const { peer, link, clock } = await start(
        new Peer((heard) => (heard.key.startsWith('p/') ? parked.push(heard) : heard.answer())),
        { maxConnections: count, keepAlive: 1 },
      );
      const first = Array.from({ length: count }, (_, i) => ask(link, `p/${i}`));
      await until('every request on its own connection', () => parked.length === count);
      for (const p of parked.splice(0)) p.answer();
      await Promise.all(first);
      // A burst again before the purge: every request finds an idle connection, none is opened.
      const again = Array.from({ length: count }, (_, i) => ask(link, `p/again/${i}`));
      await until('every request again', () => parked.length === count);
      expect(peer.connections).to.equal(count);
      for (const p of parked.splice(0)) p.answer();
      await Promise.all(again);
      clock.advance(KEEPALIVE_PURGE_TICK_MS - 1);
      expect(link.openConnections).to.equal(count);
      clock.advance(1);
      expect(link.openConnections).to.equal(count - KEEPALIVE_PURGE_BATCH);
      clock.advance(KEEPALIVE_PURGE_TICK_MS);
      expect(link.openConnections).to.equal(1);
      await until('the surplus closed at the peer', () => peer.closes === count - 1);
      clock.advance(10 * KEEPALIVE_PURGE_TICK_MS);
      expect(link.openConnections, 'the purge stops at the bound').to.equal(1);
    });

    it('fails a request still queued at its deadline with timeout, never sending it', async () => {
      const { peer, link, clock } = await start(new Peer(() => undefined), { requestTimeout: 100 });
      const first = ask(link, 'never/1');
      const queued = ask(link, 'queued/1');
      await until('the peer to read the first', () => peer.lines.length === 1);
      expect(link.queued).to.equal(1);
      clock.advance(99);
      expect(link.queued).to.equal(1);
      clock.advance(1);
      expect(await first).to.deep.equal({ failure: 'timeout', answer: '' });
      expect(await queued).to.deep.equal({ failure: 'timeout', answer: '' });
      expect(link.queued).to.equal(0);
      expect(peer.lines).to.deep.equal(['GET never/1']);
    });

    /** A link (`requestTimeout` 100) whose first connection goes silent after the warm-up, later ones answering, and a request timed out on it. */
    async function timedOutOnTheFirst(options: Partial<LinkOptions>): Promise<{ peer: Peer; link: UpstreamLink; clock: ManualClock }> {
      const started = await start(new Peer((heard) => (heard.connection > 1 || heard.key.startsWith('w/')) && heard.answer()), { requestTimeout: 100, ...options });
      await warmUp(started.link);
      const never = ask(started.link, 'never/1');
      await until('the peer to read it', () => started.peer.lines.length === 3);
      started.clock.advance(100);
      expect(await never).to.deep.equal({ failure: 'timeout', answer: '' });
      return started;
    }

    it('serves the next request on another connection while one owes a late answer, and closes it when none comes', async () => {
      const { peer, link, clock } = await timedOutOnTheFirst({ maxConnections: 2 });
      expect(await ask(link, 'b/1')).to.deep.equal(ok('b/1'));
      expect(peer.seen.slice(2)).to.deep.equal([
        { line: 'GET never/1', connection: 1 },
        { line: 'GET b/1', connection: 2 },
      ]);
      expect(peer.closes).to.equal(0);
      clock.advance(100);
      await until('the first connection closed, its late answer a timeout overdue', () => peer.closes === 1);
      expect(link.openConnections).to.equal(1);
    });

    it('keeps a connection whose request timed out once the late answer comes, and drops that answer', async () => {
      const parked: Heard[] = [];
      const { peer, link, clock } = await start(new Peer((heard) => (heard.key.startsWith('slow/') ? parked.push(heard) : heard.answer())), {
        requestTimeout: 100,
      });
      await warmUp(link);
      const slow = ask(link, 'slow/1');
      await until('the peer to read it', () => parked.length === 1);
      clock.advance(100);
      expect(await slow).to.deep.equal({ failure: 'timeout', answer: '' });
      expect(link.idleConnections).to.equal(0);
      parked[0]!.answer();
      await until('the late answer in and dropped', () => link.idleConnections === 1);
      // The one connection takes the next request: the late answer is not taken for this one's.
      expect(await ask(link, 'b/1')).to.deep.equal(ok('b/1'));
      expect(peer.seen.map((s) => s.connection)).to.deep.equal([1, 1, 1, 1]);
      expect(peer.closes).to.equal(0);
    });

    it('closes a connection owing a late answer to make room at the cap for a request waiting', async () => {
      const { peer, link } = await timedOutOnTheFirst({ maxConnections: 1 });
      // maxConnections is 1: the next request does not wait out the late answer.
      expect(await ask(link, 'b/1')).to.deep.equal(ok('b/1'));
      expect(peer.seen.at(-1)).to.deep.equal({ line: 'GET b/1', connection: 2 });
      await until('the owing connection closed', () => peer.closes === 1);
    });

    it('fails every request past its deadline at that deadline, however many time out together', async () => {
      // More than one turn of a sweep takes: the rest fail in the turns right after, not a tick later.
      const count = SWEEP_EXPIRIES_PER_TURN + 8;
      const { peer, link, clock } = await start(new Peer(() => undefined), { requestTimeout: 100, maxConnections: count });
      const failed: string[] = [];
      const outcomes = Array.from({ length: count }, (_, i) => ask(link, `t/${i}`).then((o) => (failed.push(o.failure ?? 'none'), o)));
      await until('every request at the peer', () => peer.lines.length === count);
      clock.advance(99);
      await Promise.resolve();
      expect(failed).to.deep.equal([]);
      clock.advance(1);
      await Promise.all(outcomes);
      expect(failed).to.deep.equal(Array.from({ length: count }, () => 'timeout'));
      expect(peer.closes, 'each owes its late answer').to.equal(0);
      // No late answer comes: a request timeout later, each connection closes, a sweep's turn at a time.
      clock.advance(100);
      await until('every timed-out connection closed', () => peer.closes === count);
      expect(link.openConnections).to.equal(0);
    });

    it('keeps working once a slow peer is fast again: every request times out, then the next are answered at once', async () => {
      let slow = true;
      const { link, clock } = await start(new Peer((heard) => !slow && heard.answer()), { requestTimeout: 100, maxConnections: 2 });
      const keys = ['s/1', 's/2', 's/3', 's/4'];
      const late = Promise.all(keys.map((k) => ask(link, k)));
      clock.advance(100);
      expect(await late).to.deep.equal(keys.map(() => ({ failure: 'timeout', answer: '' })));
      slow = false;
      const fast = ['f/1', 'f/2', 'f/3', 'f/4'];
      // No clock time passes: each is answered before any deadline could matter.
      expect(await Promise.all(fast.map((k) => ask(link, k)))).to.deep.equal(fast.map(ok));
    });

    it('fails what a connection carries with connect_timeout when its connect is not accepted in time', async () => {
      const { peer, link, clock } = await start(new Peer(() => undefined), { connectTimeout: 50, requestTimeout: 200 });
      const request = ask(link, 'a/1');
      // The connect completes on a later turn of the event loop; the clock passes the connect timeout first.
      clock.advance(50);
      expect(await request).to.deep.equal({ failure: 'connect_timeout', answer: '' });
      const unanswered = ask(link, 'b/1');
      await until('the peer to read it', () => peer.lines.includes('GET b/1'));
      clock.advance(200);
      expect(await unanswered).to.deep.equal({ failure: 'timeout', answer: '' });
    });
  });

  describe('to a one-request-per-connection peer', () => {
    it('serves sequential requests, one connection each, with text lines only', async () => {
      const { peer, link } = await start(new OneShotPeer(echoKey), { ids: true });
      for (let i = 1; i <= 10; i++) expect(await ask(link, `k/${i}`)).to.deep.equal(ok(`k/${i}`));
      expect(peer.seen).to.deep.equal(Array.from({ length: 10 }, (_, i) => `GET k/${i + 1}`));
    });

    it('serves concurrent requests with text lines only', async () => {
      const { peer, link } = await start(new OneShotPeer(echoKey), { ids: true, maxConnections: 4 });
      await ask(link, 'k/0');
      const keys = Array.from({ length: 20 }, (_, i) => `k/${i + 1}`);
      expect(await Promise.all(keys.map((k) => ask(link, k)))).to.deep.equal(keys.map(ok));
      expect(peer.seen.every((line) => /^GET k\/\d+$/.test(line))).to.equal(true);
    });

    it('resends a request the peer closed on without answering, and learns it answers one per connection', async () => {
      const { peer, link } = await start(new OneShotPeer(echoKey, { closeDelayMs: 30 }), { ids: true });
      for (let i = 1; i <= 6; i++) expect(await ask(link, `k/${i}`)).to.deep.equal(ok(`k/${i}`));
      expect(link.answersOnePerConnection).to.equal(true);
      expect(peer.seen.every((line) => /^GET k\/\d+$/.test(line))).to.equal(true);
    });
  });
});
