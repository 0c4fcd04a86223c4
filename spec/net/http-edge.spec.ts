import { expect } from 'chai';
import { HttpEdge } from '../../lib/net/http-edge.js';

describe('HttpEdge', () => {
  let edge: HttpEdge;
  let base: string;

  before(async () => {
    edge = new HttpEdge('127.0.0.1', 0, {
      '/metrics': async () => ({ type: 'text/plain', body: 'up 1\n' }),
      '/broken': async () => Promise.reject(new Error('the actor did not answer')),
    });
    const { port } = await edge.listen();
    base = `http://127.0.0.1:${port}`;
  });

  after(() => edge.close());

  it('serves a route with its content type, uncached, ignoring the query string', async () => {
    const answer = await fetch(`${base}/metrics?x=1`);
    expect(answer.status).to.equal(200);
    expect(answer.headers.get('content-type')).to.equal('text/plain');
    expect(answer.headers.get('cache-control')).to.equal('no-store');
    expect(await answer.text()).to.equal('up 1\n');
  });

  it('answers HEAD with the headers and no body', async () => {
    const answer = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(answer.status).to.equal(200);
    expect(await answer.text()).to.equal('');
  });

  it('answers 404 naming the routes for an unknown path, 405 for another method', async () => {
    const missing = await fetch(`${base}/nope`);
    expect(missing.status).to.equal(404);
    expect(await missing.text()).to.include('/metrics');
    const post = await fetch(`${base}/metrics`, { method: 'POST' });
    expect(post.status).to.equal(405);
    expect(post.headers.get('allow')).to.equal('GET, HEAD');
  });

  it('answers 500 with the message of a route that failed', async () => {
    const answer = await fetch(`${base}/broken`);
    expect(answer.status).to.equal(500);
    expect(await answer.text()).to.equal('the actor did not answer\n');
  });

  it('rejects listen on a port in use', async () => {
    const other = new HttpEdge('127.0.0.1', Number(new URL(base).port), {});
    let failed = false;
    await other.listen().catch(() => (failed = true));
    expect(failed).to.equal(true);
  });
});
