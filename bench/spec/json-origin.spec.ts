import http from 'node:http';
import { expect } from 'chai';
import { originCountsOf, resetOrigin, startJsonOrigin } from '../lib/json-origin.js';
import type { RunningNode } from '../../lib/net/lifecycle.js';
import { waitFor } from '../../spec/integration/helpers.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(port: number, path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('json origin', () => {
  let origin: RunningNode;
  let port: number;

  const start = async (delayMs: number): Promise<void> => {
    origin = await startJsonOrigin({ host: '127.0.0.1', port: 0, delayMs, maxAgeS: 60, base: '/base/' });
    port = origin.address.port;
  };

  afterEach(() => origin.drain());

  it('answers GET <base><key> with the key decoded, as JSON a cache may keep for max-age', async () => {
    await start(0);
    const reply = await get(port, '/base/a%2Fb%20c');
    expect(reply.status).to.equal(200);
    expect(reply.headers['content-type']).to.equal('application/json');
    expect(reply.headers['cache-control']).to.equal('max-age=60');
    expect(JSON.parse(reply.body)).to.deep.equal({ key: 'a/b c' });
  });

  it('counts every request that reached it per path, the control paths not among them', async () => {
    await start(0);
    await get(port, '/base/k1');
    await get(port, '/base/k1?x=1');
    await get(port, '/base/k2');
    await originCountsOf(port);
    const counts = await originCountsOf(port);
    expect(counts).to.deep.include({ gets: 3, keys: { 'base/k1': 2, 'base/k2': 1 }, inFlight: 0 });
  });

  it('answers 404 outside the base and 405 to other methods, counting both', async () => {
    await start(0);
    expect((await get(port, '/elsewhere/k1')).status).to.equal(404);
    expect((await get(port, '/base/')).status).to.equal(404);
    expect((await get(port, '/base/k1', 'POST')).status).to.equal(405);
    expect((await originCountsOf(port)).gets).to.equal(3);
  });

  it('zeroes its counts on the reset path', async () => {
    await start(0);
    await get(port, '/base/k1');
    await resetOrigin(port);
    expect(await originCountsOf(port)).to.deep.include({ gets: 0, keys: {} });
  });

  it('holds a request for its delay while the metrics path answers at once', async () => {
    await start(60_000);
    let answered = false;
    const pending = get(port, '/base/slow').then(
      () => (answered = true),
      () => undefined,
    );
    const counts = await waitFor('the request to arrive', async () => {
      const c = await originCountsOf(port);
      return c.gets === 1 ? c : undefined;
    });
    expect(counts).to.deep.include({ inFlight: 1, connections: 1 });
    expect(answered).to.equal(false);
    await origin.drain();
    await pending;
    expect(answered).to.equal(false);
  });
});
