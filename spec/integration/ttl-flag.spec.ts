// The proxy's --ttl as an operator gives it: 0 expires at once (as the original system and a
// per-key "ttl":0 mean it), `forever` never expires, anything else is refused in one line.
import { execFile } from 'node:child_process';
import { expect } from 'chai';
import { binScript, type NodeProcess } from '../../lib/cluster/process.js';
import { Nodes, ask, closedPort, exchange, metricsOf } from './helpers.js';

describe('proxy --ttl (integration)', function () {
  const nodes = new Nodes();
  let origin: NodeProcess;

  before(async function () {
    // A slow origin, so that GETs sent together are all waiting on one fetch.
    origin = await nodes.start('origin', ['--port', '0', '--latency', '200']);
  });

  after(() => nodes.stopAll());

  const proxy = (...args: string[]): Promise<NodeProcess> => nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port), ...args]);
  const originRequests = async (): Promise<number> => (await metricsOf(origin.port)).total_requests as number;

  describe('--ttl 0', function () {
    let p: NodeProcess;

    before(async function () {
      p = await proxy('--ttl', '0');
    });

    it('caches nothing: each GET in turn goes to the origin', async function () {
      const before = await originRequests();
      const answers = [await ask(p.port, 'GET article/11'), await ask(p.port, 'GET article/11'), await ask(p.port, 'GET article/11')];
      expect(answers.map((a) => [a.status, a.cache_hit])).to.deep.equal([['OK', false], ['OK', false], ['OK', false]]);
      expect(await originRequests()).to.equal(before + 3);
      expect((await metricsOf(p.port)).entries).to.equal(0);
    });

    it('still coalesces: GETs that miss together share one fetch and all get its answer', async function () {
      const before = await originRequests();
      const answers = await exchange(p.port, 'GET article/12\n'.repeat(5), 5);
      expect(answers.map((a) => a.status)).to.deep.equal(['OK', 'OK', 'OK', 'OK', 'OK']);
      expect(answers.map((a) => (a.data as { id: number }).id)).to.deep.equal([12, 12, 12, 12, 12]);
      expect(await originRequests()).to.equal(before + 1);
      expect((await metricsOf(p.port)).coalesced).to.equal(4);
    });
  });

  describe('--ttl forever', function () {
    it('keeps a value: the second GET is a hit', async function () {
      const p = await proxy('--ttl', 'forever');
      const before = await originRequests();
      expect((await ask(p.port, 'GET article/13')).cache_hit).to.equal(false);
      expect((await ask(p.port, 'GET article/13')).cache_hit).to.equal(true);
      expect(await originRequests()).to.equal(before + 1);
    });
  });

  describe('a bad value', function () {
    /** Runs bin/proxy with `--ttl <value>` and collects how it exited and what it printed. */
    const run = async (value: string): Promise<{ code: number; stderr: string }> => {
      const args = [binScript('proxy'), '--port', '0', '--origin-port', String(await closedPort()), '--ttl', value];
      return new Promise((resolve) => {
        execFile(process.execPath, args, { timeout: 15_000 }, (err, _stdout, stderr) => {
          resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stderr });
        });
      });
    };

    for (const value of ['-1', 'never', 'inf', '']) {
      it(`refuses --ttl "${value}" with one line and a non-zero exit`, async function () {
        const { code, stderr } = await run(value);
        expect(code).to.equal(1);
        expect(stderr.trimEnd().split('\n')).to.deep.equal([
          `proxy: option '--ttl <seconds>' argument '${value}' is invalid. expected seconds >= 0, or "forever" for no expiry, got "${value}"`,
        ]);
      });
    }
  });
});
