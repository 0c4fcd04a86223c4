import { expect } from 'chai';
import type { Inbound } from '../../lib/bus/inbound.js';
import { router, withAdminToken } from '../../lib/bus/routes.js';
import type { Request } from '../../lib/protocol/request.js';

/** A request message whose reply is recorded in `replies`. */
function message(request: Request, replies: string[]): Inbound {
  return { request, reply: (r) => replies.push(r.toString()) };
}

describe('router', () => {
  it('hands each request to the route of its op', () => {
    const seen: string[] = [];
    const accept = router({ GET: (m) => seen.push(`get ${m.request.key}`), METRICS: () => seen.push('metrics') });
    accept(message({ op: 'GET', key: 'a' }, []));
    accept(message({ op: 'METRICS' }, []));
    expect(seen).to.deep.equal(['get a', 'metrics']);
  });

  it('answers an op without a route WRONG_METHOD, naming it', () => {
    const replies: string[] = [];
    router({ GET: () => undefined })(message({ op: 'PURGE', prefix: '' }, replies));
    expect(replies).to.deep.equal(['{"status":"WRONG_METHOD","data":"unknown method PURGE"}']);
  });

  it('finds no route on the table\'s prototype', () => {
    const replies: string[] = [];
    const accept = router({});
    accept(message({ op: 'constructor' } as unknown as Request, replies));
    expect(replies).to.deep.equal(['{"status":"WRONG_METHOD","data":"unknown method constructor"}']);
  });
});

describe('withAdminToken', () => {
  it('passes no request on when no token is configured, and answers each UNAUTHORIZED', () => {
    const passed: unknown[] = [];
    const replies: string[] = [];
    const route = withAdminToken(undefined, (m) => passed.push(m.request));
    route(message({ op: 'PURGE', key: 'a' }, replies));
    route(message({ op: 'PURGE', key: 'b', token: 'anything' }, replies));
    expect(passed).to.deep.equal([]);
    expect(replies.map((r) => (JSON.parse(r) as { status: string }).status)).to.deep.equal(['UNAUTHORIZED', 'UNAUTHORIZED']);
  });

  it('passes a request with the right token on, and answers a wrong or missing one UNAUTHORIZED', () => {
    const passed: unknown[] = [];
    const replies: string[] = [];
    const route = withAdminToken('s3cret', (m) => passed.push(m.request));
    route(message({ op: 'PURGE', key: 'a', token: 's3cret' }, replies));
    route(message({ op: 'PURGE', key: 'b', token: 'guess' }, replies));
    route(message({ op: 'PURGE', key: 'c' }, replies));
    expect(passed).to.deep.equal([{ op: 'PURGE', key: 'a', token: 's3cret' }]);
    expect(replies.map((r) => JSON.parse(r) as unknown)).to.deep.equal([
      { status: 'UNAUTHORIZED', error: 'wrong admin token' },
      { status: 'UNAUTHORIZED', error: 'admin token required' },
    ]);
  });
});
