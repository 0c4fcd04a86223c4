// Key affinity under load over real processes: consistent_hash keeps each key on the proxy that
// holds it, through two balancers, and spreads a hot key to proxies that fill it from its owner.
import { expect } from 'chai';
import { introducePeers } from '../../lib/cluster/peers.js';
import { Nodes, ask, keyedKey, metricsOf, removeDir, writeKeyedDocuments, type Answer } from './helpers.js';
import { askPipelined, rawTransport, type Transport } from './tracked-load.js';

const KEYS = 3000;
const keys = (from: number, count: number): string[] => Array.from({ length: count }, (_, i) => keyedKey(from + i));
const address = (port: number): string => `127.0.0.1:${port}`;
const TOKEN = 'spec-token';

function statusesOf(answers: readonly Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
}

/** Answers that do not carry the data of the key they were asked for, as `key: answer`. */
function foreign(asked: readonly string[], answers: readonly Answer[]): string[] {
  return answers.flatMap((a, i) => ((a.data as { key?: unknown } | undefined)?.key === asked[i] ? [] : [`${asked[i]}: ${JSON.stringify(a)}`]));
}

describe('key affinity and hot keys (integration)', function () {
  this.timeout(90_000);
  const nodes = new Nodes();
  const transports: Transport[] = [];
  let dataDir: string;

  before(async () => (dataDir = await writeKeyedDocuments(KEYS)));
  after(() => removeDir(dataDir));
  afterEach(async () => {
    for (const t of transports.splice(0)) t.close();
    await nodes.stopAll();
  });

  const transport = async (port: number, conns: number): Promise<Transport> => {
    const t = await rawTransport(port, conns);
    transports.push(t);
    return t;
  };

  /** An origin answering after 50 ms and three proxies in front of it, the proxies with the admin token. */
  const cluster = async () => {
    const origin = await nodes.start('origin', ['--port', '0', '--data-dir', dataDir, '--latency', '50']);
    const proxies = await Promise.all([0, 1, 2].map(() => nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port), '--admin-token', TOKEN])));
    return { origin, proxies, addresses: proxies.map((p) => address(p.port)) };
  };

  it('fetches each of 3,000 keys asked 3 times, pipelined through two balancers, from the origin once, and answers every one from cache with the origin killed', async () => {
    const { origin, addresses } = await cluster();
    const balancers = await Promise.all([0, 1].map(() => nodes.start('load-balancer', ['--port', '0', '--strategy', 'consistent_hash', '--proxies', ...addresses])));
    // 8 connections, 4 to each balancer, 16 requests in flight on each; a key's three requests
    // come one after another, through one balancer, the other, and the first again.
    const through = [await transport(balancers[0]!.port, 4), await transport(balancers[1]!.port, 4)];
    const all = keys(0, KEYS);
    const thrice = all.flatMap((k) => [k, k, k]);
    const answers = await askPipelined(through, thrice, 128);
    expect(statusesOf(answers)).to.deep.equal({ OK: 3 * KEYS });
    expect(foreign(thrice, answers)).to.deep.equal([]);
    // Every key was fetched at least once, so as many fetches as keys is one per key.
    expect((await metricsOf(origin.port)).total_requests).to.equal(KEYS);

    origin.child.kill('SIGKILL');
    await origin.exited;
    const again = await askPipelined(through, all, 128);
    expect(statusesOf(again)).to.deep.equal({ OK: KEYS });
    expect(foreign(all, again)).to.deep.equal([]);
    expect(again.filter((a) => a.cache_hit !== true)).to.deep.equal([]);
  });

  it('spreads one key asked at 16 connections x 16 pipelined over more than one proxy, which fill it from its owner: the origin sees it once', async () => {
    const { origin, proxies, addresses } = await cluster();
    await introducePeers(addresses, TOKEN);
    const lb = await nodes.start('load-balancer', ['--port', '0', '--strategy', 'consistent_hash', '--proxies', ...addresses]);
    const through = await transport(lb.port, 16);
    // Other keys first, so the balancer's links to the proxies carry ids by the time the hot key
    // spills: a fresh link's first requests go in the text form, which carries no fill hint.
    expect(statusesOf(await askPipelined([through], keys(0, 600), 256))).to.deep.equal({ OK: 600 });
    const report = async () => Promise.all(proxies.map(async (p) => metricsOf(p.port)));
    const before = await report();
    const fetchedBefore = (await metricsOf(origin.port)).total_requests as number;

    const hot = keyedKey(KEYS - 1);
    const asked = new Array<string>(16 * 16 * 20).fill(hot);
    const answers = await askPipelined([through], asked, 16 * 16);
    expect(statusesOf(answers)).to.deep.equal({ OK: asked.length });
    expect(foreign(asked, answers)).to.deep.equal([]);
    expect((await metricsOf(origin.port)).total_requests, 'origin fetches of the hot key').to.equal(fetchedBefore + 1);

    const after = await report();
    const delta = (field: string) => after.map((m, i) => (m[field] as number) - (before[i]![field] as number));
    const requests = delta('total_requests');
    expect(requests.filter((n) => n > 0).length, `proxies that answered it (${requests.join(', ')} requests)`).to.be.greaterThan(1);
    // One proxy, the owner, fetched it; every other that was asked filled it from the owner.
    const owner = delta('origin_fetches').indexOf(1);
    expect(delta('origin_fetches')).to.have.members([1, 0, 0]);
    const fills = delta('peer_fills');
    proxies.forEach((_p, i) => {
      if (i !== owner && requests[i]! > 0) expect(fills[i], `peer fills at proxy ${i}`).to.equal(1);
    });
    // The owner's share depends on how many requests pile up at the balancer, which is timing: reported, not asserted.
    const share = answers.filter((a) => a.node === proxies[owner]!.port).length / answers.length;
    console.log(`      hot key: its owner answered ${(share * 100).toFixed(1)}% of ${answers.length} requests`);
  });

  it('fills a miss from a peer named by --peers, and from the origin when the fill names an address that is not a peer', async () => {
    const origin = await nodes.start('origin', ['--port', '0', '--data-dir', dataDir]);
    const owner = await nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port)]);
    const filler = await nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port), '--peers', address(owner.port)]);
    expect(await ask(owner.port, 'GET k/1')).to.include({ status: 'OK', cache_hit: false });

    const filled = await ask(filler.port, JSON.stringify({ op: 'GET', key: 'k/1', fill: address(owner.port) }));
    expect(filled).to.deep.include({ status: 'OK', data: { key: 'k/1' }, cache_hit: false, node: filler.port });
    expect(await metricsOf(filler.port)).to.include({ peer_fills: 1, origin_fetches: 0 });
    expect((await metricsOf(origin.port)).total_requests).to.equal(1);

    // The origin's port is no peer: a client naming it gets nothing from it but what the filler fetches itself.
    const named = await ask(filler.port, JSON.stringify({ op: 'GET', key: 'k/2', fill: address(origin.port) }));
    expect(named).to.deep.include({ status: 'OK', data: { key: 'k/2' }, cache_hit: false });
    expect(await metricsOf(filler.port)).to.include({ peer_fills: 1, origin_fetches: 1 });
  });
});
