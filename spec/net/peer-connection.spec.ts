// One peer connection over real loopback sockets, driven by a recording owner; deadlines are checked at given times.
import type net from 'node:net';
import { expect } from 'chai';
import { VirtualTimeScheduler } from 'rxjs';
import type { ConnectionOwner, ConnectionSettings, Job, LinkFailure } from '../../lib/net/connection-owner.js';
import { PeerConnection } from '../../lib/net/peer-connection.js';
import { getRequest } from '../../lib/protocol/upstream-request.js';
import { SpecServer, closedPort, onLines, until } from '../integration/helpers.js';

/** An owner that writes down every call its connection makes, as one line each. */
class RecordingOwner implements ConnectionOwner<PeerConnection> {
  readonly calls: string[] = [];
  tryIds = false;
  knownIds = false;
  private lastId = 100;

  constructor(readonly settings: ConnectionSettings) {}

  triesIds(): boolean {
    return this.tryIds;
  }

  nextId(): number {
    return ++this.lastId;
  }

  knowsIds(): boolean {
    return this.knownIds;
  }

  learnIds(): void {
    this.calls.push('learnIds');
  }

  learnNoIds(): void {
    this.calls.push('learnNoIds');
  }

  learnOneShot(): void {
    this.calls.push('learnOneShot');
  }

  /** Called on each `hasRoom`, as a link sends its next request there and then. */
  onRoom?: () => void;

  hasRoom(): void {
    this.calls.push('hasRoom');
    this.onRoom?.();
  }

  gone(): void {
    this.calls.push('gone');
  }

  failed(_connection: PeerConnection, unanswered: Job[], failure: LinkFailure): void {
    this.calls.push(`failed ${failure} [${keysOf(unanswered)}]`);
  }

  handedBack(_connection: PeerConnection, unanswered: Job[], failure: LinkFailure): void {
    this.calls.push(`handedBack ${failure} [${keysOf(unanswered)}]`);
  }
}

const keysOf = (jobs: Job[]): string => jobs.map((job) => job.request.text!.slice('GET '.length)).join(' ');

/** A peer that hands each line it reads, with the socket it came on, to `onLine`. */
class LinePeer extends SpecServer {
  readonly lines: string[] = [];

  constructor(onLine: (line: string, socket: net.Socket) => void) {
    super((socket) => {
      onLines(socket, (line) => {
        this.lines.push(line);
        onLine(line, socket);
      });
    });
  }
}

/** Answers OK with the key as data, echoing the id of a JSON request. */
function answer(line: string, socket: net.Socket): void {
  if (!line.startsWith('{')) return void socket.write(`{"status":"OK","data":"${line.slice('GET '.length)}"}\n`);
  const { key, id } = JSON.parse(line) as { key: string; id?: number };
  socket.write(`${JSON.stringify(id === undefined ? { status: 'OK', data: key } : { status: 'OK', data: key, id })}\n`);
}

describe('PeerConnection', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  /** What each request's callback got, in the order they came: `<key> <failure or answer>`. */
  let outcomes: string[];
  beforeEach(() => (outcomes = []));

  /** A request for `key` due by `deadline` (clock ms). */
  function job(key: string, deadline = 100): Job {
    return {
      request: getRequest(key),
      callback: (failure, answer) => outcomes.push(`${key} ${failure ?? answer.toString()}`),
      deadline,
      resent: false,
    };
  }

  function settings(port: number): ConnectionSettings {
    return {
      host: '127.0.0.1',
      port,
      clock: new VirtualTimeScheduler(),
      idsDepth: 4,
      connectTimeout: 1000,
      requestTimeout: 100,
      maxAnswerBytes: 1024,
    };
  }

  async function open(peer: LinePeer, single = false): Promise<{ owner: RecordingOwner; connection: PeerConnection }> {
    await peer.listen();
    cleanup.push(() => peer.close());
    const owner = new RecordingOwner(settings(peer.port));
    const connection = new PeerConnection(owner, single);
    cleanup.push(() => connection.fail('closed'));
    return { owner, connection };
  }

  /** Sends `key` and waits for its outcome. */
  async function exchange(connection: PeerConnection, key: string): Promise<void> {
    const before = outcomes.length;
    connection.send(job(key));
    await until(`the outcome of ${key}`, () => outcomes.length > before);
  }

  /**
   * A connection that answered `warm` requests, then sent `late/1` (due at 250), which the peer
   * holds and which has just timed out: the spec writes its late answer on `late`.
   */
  async function timedOutLate(warm: number): Promise<{ owner: RecordingOwner; connection: PeerConnection; late: net.Socket }> {
    let late: net.Socket | undefined;
    const peer = new LinePeer((line, socket) => (line.startsWith('GET late/') ? (late = socket) : answer(line, socket)));
    const { owner, connection } = await open(peer);
    for (let i = 1; i <= warm; i++) await exchange(connection, `w/${i}`);
    connection.send(job('late/1', 250));
    await until('the peer to read late/1', () => peer.lines.length === warm + 1);
    expect(connection.checkDeadlines(250)).to.equal(1);
    owner.calls.length = 0;
    return { owner, connection, late: late! };
  }

  /** As a link does: the room an answer makes goes at once to a request for `key`, once. */
  function sendOnRoom(owner: RecordingOwner, connection: PeerConnection, key: string): void {
    owner.onRoom = () => {
      owner.onRoom = undefined;
      connection.send(job(key));
    };
  }

  it('carries one text request at a time, however many it has answered', async () => {
    const { owner, connection } = await open(new LinePeer(answer));
    for (const [i, key] of ['a/1', 'a/2', 'a/3', 'a/4'].entries()) {
      expect(connection.canTake(), `before ${key}`).to.equal(true);
      expect(connection.idle, `before ${key}`).to.equal(true);
      connection.send(job(key));
      expect(connection.canTake(), `while ${key} is out`).to.equal(false);
      expect(connection.idle, `while ${key} is out`).to.equal(false);
      await until(key, () => outcomes.length === i + 1);
    }
    expect(outcomes).to.deep.equal(['a/1', 'a/2', 'a/3', 'a/4'].map((k) => `${k} {"status":"OK","data":"${k}"}`));
    expect(owner.calls).to.deep.equal(['hasRoom', 'hasRoom', 'hasRoom', 'hasRoom']);
  });

  it('tells its owner it has room before the answer\'s callback runs', async () => {
    const { owner, connection } = await open(new LinePeer(answer));
    let callsAtCallback: string[] = [];
    connection.send({ ...job('a/1'), callback: () => (callsAtCallback = [...owner.calls]) });
    await until('the answer', () => owner.calls.length === 1);
    expect(callsAtCallback).to.deep.equal(['hasRoom']);
  });

  it('tries one request with an id once its owner tries ids, and matches answers by id after the echo', async () => {
    const peer = new LinePeer(answer);
    const { owner, connection } = await open(peer);
    owner.tryIds = true;
    await exchange(connection, 'w/1');
    await exchange(connection, 'w/2');
    connection.send(job('t/1'));
    expect(connection.canTake(), 'while the trial is out').to.equal(false);
    await until('t/1', () => outcomes.length === 3);
    expect(connection.matchesById).to.equal(true);
    expect(peer.lines[2]).to.equal('{"op":"GET","key":"t/1","id":101}');
    expect(outcomes[2]).to.equal('t/1 {"status":"OK","data":"t/1"}');
    expect(owner.calls).to.include('learnIds');
  });

  it('carries requests with ids from its first, several at once, when its owner already knows the peer echoes them', async () => {
    const peer = new LinePeer(answer);
    await peer.listen();
    cleanup.push(() => peer.close());
    const owner = new RecordingOwner(settings(peer.port));
    owner.tryIds = true;
    owner.knownIds = true;
    const connection = new PeerConnection(owner, false);
    cleanup.push(() => connection.fail('closed'));
    expect(connection.matchesById).to.equal(true);
    for (const key of ['a/1', 'a/2', 'a/3']) connection.send(job(key));
    expect(connection.canTake(), 'with three of four in flight').to.equal(true);
    await until('three answers', () => outcomes.length === 3);
    expect(peer.lines.map((line) => (JSON.parse(line) as { key: string; id: unknown }).key)).to.deep.equal(['a/1', 'a/2', 'a/3']);
    expect(outcomes.map((o) => o.split(' ')[0]).sort()).to.deep.equal(['a/1', 'a/2', 'a/3']);
  });

  it('tells its owner the peer does not echo ids, and hands back the trial request to go again as text', async () => {
    const { owner, connection } = await open(new LinePeer((line, socket) => answer(line.startsWith('{') ? 'GET t/1' : line, socket)));
    owner.tryIds = true;
    await exchange(connection, 'w/1');
    await exchange(connection, 'w/2');
    connection.send(job('t/1'));
    await until('the hand-back', () => owner.calls.length === 4);
    expect(owner.calls.slice(2)).to.deep.equal(['learnNoIds', 'handedBack garbage [t/1]']);
    expect(outcomes).to.have.length(2);
  });

  it('learns the peer is one-shot when it closes after exactly one answer, handing back what it owed', async () => {
    let served = 0;
    const { owner, connection } = await open(new LinePeer((line, socket) => (++served === 1 ? answer(line, socket) : socket.destroy())));
    await exchange(connection, 'a/1');
    connection.send(job('a/2'));
    await until('the hand-back', () => owner.calls.length === 3);
    expect(owner.calls).to.deep.equal(['hasRoom', 'learnOneShot', 'handedBack reset [a/2]']);
  });

  it('only hands back what it owed when a peer that answered two closes', async () => {
    let served = 0;
    const { owner, connection } = await open(new LinePeer((line, socket) => (++served <= 2 ? answer(line, socket) : socket.destroy())));
    await exchange(connection, 'a/1');
    await exchange(connection, 'a/2');
    connection.send(job('a/3'));
    await until('the hand-back', () => owner.calls.length === 3);
    expect(owner.calls).to.deep.equal(['hasRoom', 'hasRoom', 'handedBack reset [a/3]']);
  });

  it('is gone after its one answer when opened for a one-shot peer', async () => {
    const { owner, connection } = await open(new LinePeer(answer), true);
    await exchange(connection, 'a/1');
    expect(connection.canTake()).to.equal(false);
    expect(owner.calls).to.deep.equal(['gone']);
  });

  it('fails what it owes with refused when nothing listens on the port', async () => {
    const owner = new RecordingOwner(settings(await closedPort()));
    const connection = new PeerConnection(owner, false);
    connection.send(job('a/1'));
    await until('the failure', () => owner.calls.length === 1);
    expect(owner.calls).to.deep.equal(['failed refused [a/1]']);
  });

  it('fails a text request at its deadline and takes nothing more until the late answer is in and dropped', async () => {
    let late: net.Socket | undefined;
    const peer = new LinePeer((line, socket) => (line.startsWith('GET late/') ? (late = socket) : answer(line, socket)));
    const { owner, connection } = await open(peer);
    await exchange(connection, 'w/1');
    await exchange(connection, 'w/2');
    connection.send(job('late/1', 250));
    await until('the peer to read late/1', () => peer.lines.length === 3);
    expect(connection.checkDeadlines(249)).to.equal(0);
    expect(outcomes).to.have.length(2);
    expect(connection.checkDeadlines(250)).to.equal(1);
    expect(outcomes.slice(2)).to.deep.equal(['late/1 timeout']);
    expect(owner.calls.slice(2)).to.deep.equal([]);
    expect(connection.canTake(), 'owing the late answer').to.equal(false);
    expect(connection.idle).to.equal(false);
    expect(connection.owesLateAnswer).to.equal(true);
    // The late answer is the next line the peer sends: dropped, not taken for the next request's.
    late!.write('{"status":"OK","data":"late/1"}\n');
    await until('the connection to have room', () => owner.calls.length === 3);
    expect(owner.calls.slice(2)).to.deep.equal(['hasRoom']);
    expect(connection.canTake()).to.equal(true);
    await exchange(connection, 'w/3');
    expect(outcomes.slice(2)).to.deep.equal(['late/1 timeout', 'w/3 {"status":"OK","data":"w/3"}']);
  });

  it('closes once the late answer to a timed-out text request has not come within another request timeout', async () => {
    const { owner, connection } = await timedOutLate(1);
    // requestTimeout is 100 ms in these settings.
    expect(connection.checkDeadlines(349)).to.equal(0);
    expect(owner.calls).to.deep.equal([]);
    expect(connection.checkDeadlines(350)).to.equal(1);
    expect(owner.calls).to.deep.equal(['handedBack timeout []']);
    expect(connection.owesLateAnswer).to.equal(false);
    expect(connection.canTake()).to.equal(false);
  });

  it('closes at a timed-out text request if the late answer, when it comes, is garbage', async () => {
    const { owner, connection, late } = await timedOutLate(1);
    late.write('not json\n');
    await until('the connection handed back', () => owner.calls.length === 1);
    expect(owner.calls).to.deep.equal(['handedBack garbage []']);
    expect(connection.canTake()).to.equal(false);
  });

  it('hands a request back, never taking a line read before it was written for its answer (a peer answering twice)', async () => {
    const peer = new LinePeer((line, socket) => {
      if (line === 'GET twice/1') socket.write('{"status":"OK","data":"twice/1"}\n{"status":"OK","data":"twice/1"}\n');
      else answer(line, socket);
    });
    const { owner, connection } = await open(peer);
    sendOnRoom(owner, connection, 'b/1');
    connection.send(job('twice/1'));
    await until('the connection handed back', () => owner.calls.some((c) => c.startsWith('handedBack')));
    expect(outcomes).to.deep.equal(['twice/1 {"status":"OK","data":"twice/1"}']);
    expect(owner.calls).to.deep.equal(['hasRoom', 'handedBack garbage [b/1]']);
    expect(peer.lines).to.deep.equal(['GET twice/1']);
  });

  it('hands a request back when the late answer to a timed-out one comes twice in one read', async () => {
    const { owner, connection, late } = await timedOutLate(1);
    sendOnRoom(owner, connection, 'b/1');
    late.write('{"status":"OK","data":"late/1"}\n{"status":"OK","data":"late/1"}\n');
    await until('the connection handed back', () => owner.calls.length === 2);
    expect(owner.calls).to.deep.equal(['hasRoom', 'handedBack garbage [b/1]']);
    expect(outcomes).to.deep.equal(['w/1 {"status":"OK","data":"w/1"}', 'late/1 timeout']);
  });

  it('does not count a late answer as answered: a peer closing after one is not taken for one-shot', async () => {
    const { owner, connection, late } = await timedOutLate(0);
    sendOnRoom(owner, connection, 'b/1');
    late.end('{"status":"OK","data":"late/1"}\n');
    await until('the connection gone', () => owner.calls.some((c) => c.startsWith('handedBack')));
    expect(owner.calls).to.deep.equal(['hasRoom', 'handedBack reset [b/1]']);
  });

  it('closes a one-request-per-connection peer\'s connection at a timed-out request, owing nothing', async () => {
    const peer = new LinePeer(() => undefined);
    const { owner, connection } = await open(peer, true);
    connection.send(job('late/1', 250));
    await until('the peer to read late/1', () => peer.lines.length === 1);
    expect(connection.checkDeadlines(250)).to.equal(1);
    expect(outcomes).to.deep.equal(['late/1 timeout']);
    expect(owner.calls).to.deep.equal(['handedBack reset []']);
    expect(connection.owesLateAnswer).to.equal(false);
  });

  it('fails what it carries with connect_timeout when the connect is not accepted within the connect timeout', async () => {
    const { owner, connection } = await open(new LinePeer(answer));
    // The connect completes on a later turn of the event loop: until then it is pending.
    connection.send(job('a/1', 5000));
    connection.checkDeadlines(999);
    expect(owner.calls).to.deep.equal([]);
    connection.checkDeadlines(1000);
    expect(owner.calls).to.deep.equal(['failed connect_timeout [a/1]']);
  });

  it('fails a request whose own deadline passes first with timeout, not connect_timeout', async () => {
    const { owner, connection } = await open(new LinePeer(answer));
    connection.send(job('a/1', 300));
    connection.checkDeadlines(300);
    expect(outcomes).to.deep.equal(['a/1 timeout']);
    expect(owner.calls).to.deep.equal(['handedBack reset []']);
  });

  it('matching by id, frees a timed-out request\'s place at once and tells its owner it has room', async () => {
    const peer = new LinePeer((line, socket) => !line.includes('"key":"slow/') && answer(line, socket));
    const { owner, connection } = await open(peer);
    owner.tryIds = true;
    await exchange(connection, 'w/1');
    await exchange(connection, 'w/2');
    await exchange(connection, 't/1');
    expect(connection.matchesById).to.equal(true);
    for (const key of ['slow/1', 'slow/2', 'slow/3']) connection.send(job(key, 200));
    connection.send(job('slow/4', 300));
    expect(connection.canTake(), 'at the ids depth').to.equal(false);
    await until('the peer to read the four', () => peer.lines.length === 7);
    owner.calls.length = 0;
    connection.checkDeadlines(200);
    expect(outcomes.slice(3)).to.deep.equal(['slow/1 timeout', 'slow/2 timeout', 'slow/3 timeout']);
    expect(owner.calls).to.deep.equal(['hasRoom']);
    expect(connection.canTake()).to.equal(true);
    expect(connection.inFlight).to.equal(1);
  });

  it('fails every request it owes with the failure it is given', async () => {
    const { owner, connection } = await open(new LinePeer(() => undefined));
    connection.send(job('a/1'));
    connection.fail('closed');
    connection.fail('closed');
    expect(owner.calls).to.deep.equal(['failed closed [a/1]']);
    expect(connection.canTake()).to.equal(false);
  });
});
