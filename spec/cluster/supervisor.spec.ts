import { expect } from 'chai';
import { NodeStartError, type Exit } from '../../lib/cluster/process.js';
import { Supervisor, type NodeSpec, type Supervised } from '../../lib/cluster/supervisor.js';
import { ManualClock } from '../net/manual-clock.js';

/** A node process played by the spec: it exits when told, or when stopped. */
class FakeNode implements Supervised {
  stopped = false;
  readonly ended: Promise<Exit>;
  private end!: (exit: Exit) => void;
  private text: string;

  constructor(
    readonly pid: number,
    readonly port: number,
    tool: string,
  ) {
    this.text = `${tool} listening on 127.0.0.1:${port}\n`;
    this.ended = new Promise((resolve) => (this.end = resolve));
  }

  output(): string {
    return this.text;
  }

  exit(exit: Exit, said = ''): void {
    this.text += said;
    this.end(exit);
  }

  async stop(): Promise<number | null> {
    this.stopped = true;
    this.end({ code: 0, signal: null });
    return 0;
  }
}

const spec = (role: string, port: number): NodeSpec => ({ role, name: role, tool: role, address: `127.0.0.1:${port}`, args: ['--port', String(port)] });
const origin = spec('origin', 8000);
const proxy = spec('proxy', 8001);
const KILLED: Exit = { code: null, signal: 'SIGKILL' };

/** Lets the promise callbacks queued by a fake's exit or launch run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Supervisor', () => {
  let clock: ManualClock;
  let log: string[];
  let launched: NodeSpec[];
  let nodes: FakeNode[];
  // What the next launches do: undefined starts a node, an output makes the launch fail with it.
  let failures: (string | undefined)[];

  const supervisor = (restart = true): Supervisor =>
    new Supervisor({
      clock,
      restart,
      log: (line) => log.push(line),
      launch: async (node) => {
        launched.push(node);
        const failure = failures.shift();
        if (failure !== undefined) throw new NodeStartError(`${node.tool} exited with 1 before it was ready`, failure);
        const fake = new FakeNode(100 + launched.length, Number(node.address.split(':')[1]), node.tool);
        nodes.push(fake);
        return fake;
      },
    });

  beforeEach(() => {
    clock = new ManualClock();
    log = [];
    launched = [];
    nodes = [];
    failures = [];
  });

  it('starts the nodes in order, one line each with its address and pid', async () => {
    const s = supervisor();
    await s.start([origin, { ...proxy, note: 'p2c' }]);
    expect(launched).to.deep.equal([origin, { ...proxy, note: 'p2c' }]);
    expect(log).to.deep.equal(['origin         127.0.0.1:8000  pid 101', 'proxy          127.0.0.1:8001  pid 102  (p2c)']);
    expect(s.pids).to.deep.equal([101, 102]);
  });

  it('restarts a node that was killed 1 s later, with the same arguments, and says so', async () => {
    const s = supervisor();
    await s.start([origin, proxy]);
    nodes[1]!.exit(KILLED);
    await settle();
    expect(log.slice(2)).to.deep.equal(['proxy 127.0.0.1:8001 (pid 102) was killed by SIGKILL; restarting it in 1 s']);
    expect(s.pids).to.deep.equal([101]);
    clock.advance(999);
    await settle();
    expect(launched).to.have.length(2);
    clock.advance(1);
    await settle();
    expect(launched[2]).to.equal(proxy);
    expect(log[3]).to.equal('proxy 127.0.0.1:8001 is back, pid 103');
    expect(s.pids).to.deep.equal([101, 103]);
    expect(nodes[0]!.stopped, 'the others kept running').to.equal(false);
  });

  it('waits twice as long after a restart that fails, and gives the one line the node said', async () => {
    const s = supervisor();
    await s.start([origin, proxy]);
    nodes[1]!.exit({ code: 1, signal: null }, 'proxy: origin gone\n');
    await settle();
    expect(log[2]).to.equal('proxy 127.0.0.1:8001 (pid 102) exited with code 1: origin gone; restarting it in 1 s');
    failures.push('proxy: port 8001 is in use\n');
    clock.advance(1000);
    await settle();
    expect(log[3]).to.equal('proxy 127.0.0.1:8001 did not start: port 8001 is in use; restarting it in 2 s');
    clock.advance(2000);
    await settle();
    expect(log[4]).to.equal('proxy 127.0.0.1:8001 is back, pid 104');
  });

  it('starts over at 1 s for a node that ran 10 s before it exited', async () => {
    const s = supervisor();
    await s.start([proxy]);
    nodes[0]!.exit(KILLED);
    await settle();
    clock.advance(1000);
    await settle();
    clock.advance(10_000);
    nodes[1]!.exit(KILLED);
    await settle();
    expect(log.at(-1)).to.equal('proxy 127.0.0.1:8001 (pid 102) was killed by SIGKILL; restarting it in 1 s');
  });

  it('gives whole what a node printed in more than one line (a stack trace: a bug)', async () => {
    const s = supervisor();
    await s.start([proxy]);
    nodes[0]!.exit({ code: 1, signal: null }, 'file:///x.js:1\nTypeError: boom\n    at f (x.js:1:1)\n');
    await settle();
    expect(log[1]).to.equal('proxy 127.0.0.1:8001 (pid 101) exited with code 1; restarting it in 1 s. It printed:\nfile:///x.js:1\nTypeError: boom\n    at f (x.js:1:1)');
  });

  it('leaves out the log lines a node printed (bin/cluster shows them as they come): its one line stays one line', async () => {
    const s = supervisor();
    await s.start([proxy]);
    const logLine = '{"level":"info","time":1,"role":"proxy","pid":101,"msg":"draining"}\n';
    nodes[0]!.exit({ code: 1, signal: null }, `${logLine}proxy: origin gone\n${logLine}`);
    await settle();
    expect(log[1]).to.equal('proxy 127.0.0.1:8001 (pid 101) exited with code 1: origin gone; restarting it in 1 s');
  });

  it('with restart off, says the node is not restarted and leaves it down', async () => {
    const s = supervisor(false);
    await s.start([origin, proxy]);
    nodes[1]!.exit(KILLED);
    await settle();
    clock.advance(60_000);
    await settle();
    expect(log[2]).to.equal('proxy 127.0.0.1:8001 (pid 102) was killed by SIGKILL; not restarted (--no-restart)');
    expect(launched).to.have.length(2);
  });

  it('stops every node, the last started first, and cancels a pending restart', async () => {
    const s = supervisor();
    const balancer = spec('balancer', 9000);
    await s.start([origin, proxy, balancer]);
    const order: number[] = [];
    for (const node of nodes) void node.ended.then(() => order.push(node.pid));
    nodes[1]!.exit(KILLED);
    await settle();
    await s.stop();
    clock.advance(60_000);
    await settle();
    expect(order).to.deep.equal([102, 103, 101]);
    expect(launched).to.have.length(3);
    expect(log.filter((line) => line.includes('back'))).to.deep.equal([]);
  });

  it('stops a node that became ready after stop was called, and starts no more', async () => {
    let ready!: () => void;
    const gate = new Promise<void>((resolve) => (ready = resolve));
    const started: FakeNode[] = [];
    const s = new Supervisor({
      clock,
      restart: true,
      log: (line) => log.push(line),
      launch: async (node) => {
        await gate;
        const fake = new FakeNode(200 + started.length, Number(node.address.split(':')[1]), node.tool);
        started.push(fake);
        return fake;
      },
    });
    const starting = s.start([origin, proxy]);
    await s.stop();
    ready();
    await starting;
    expect(started.map((node) => node.stopped)).to.deep.equal([true]);
    expect(log).to.deep.equal([]);
  });

  it('rejects naming the first node that could not start and why, in one line', async () => {
    const s = supervisor();
    failures.push(undefined, 'proxy: port 8001 is in use\n');
    const failed = await s.start([origin, proxy, spec('balancer', 9000)]).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(failed).to.equal('proxy 127.0.0.1:8001 did not start: port 8001 is in use');
    expect(launched).to.deep.equal([origin, proxy]);
  });
});
