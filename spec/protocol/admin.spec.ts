import { expect } from 'chai';
import { ADMIN_DISABLED, refuseUnauthorized } from '../../lib/protocol/admin.js';

const unauthorized = (error: string) => JSON.stringify({ status: 'UNAUTHORIZED', error });

describe('refuseUnauthorized', () => {
  it('refuses every request when no admin token is configured, saying how to enable admin ops', () => {
    const disabled = unauthorized('admin ops are disabled: start the node with --admin-token <token> and send "token":"<token>"');
    expect(ADMIN_DISABLED).to.include('--admin-token');
    expect(refuseUnauthorized({}, undefined)).to.equal(disabled);
    expect(refuseUnauthorized({ token: 'anything' }, undefined)).to.equal(disabled);
    expect(refuseUnauthorized({ token: '' }, undefined)).to.equal(disabled);
  });

  it('lets a request carrying the configured token through', () => {
    expect(refuseUnauthorized({ token: 's3cret' }, 's3cret')).to.equal(undefined);
  });

  it('refuses a request without a token, saying one is required', () => {
    expect(refuseUnauthorized({}, 's3cret')).to.equal(unauthorized('admin token required'));
  });

  it('refuses a wrong token of the same length', () => {
    expect(refuseUnauthorized({ token: 's3creT' }, 's3cret')).to.equal(unauthorized('wrong admin token'));
  });

  it('refuses a wrong token of another length, including a prefix of the right one', () => {
    expect(refuseUnauthorized({ token: 's3c' }, 's3cret')).to.equal(unauthorized('wrong admin token'));
    expect(refuseUnauthorized({ token: 's3cret!' }, 's3cret')).to.equal(unauthorized('wrong admin token'));
  });

  it('refuses an empty token when a token is configured', () => {
    expect(refuseUnauthorized({ token: '' }, 's3cret')).to.equal(unauthorized('wrong admin token'));
  });

  it('refuses a request without a token even when the configured token is empty', () => {
    expect(refuseUnauthorized({}, '')).to.equal(unauthorized('admin token required'));
  });

  it('compares tokens as UTF-8 bytes', () => {
    expect(refuseUnauthorized({ token: 'clé' }, 'clé')).to.equal(undefined);
    expect(refuseUnauthorized({ token: 'cle' }, 'clé')).to.equal(unauthorized('wrong admin token'));
  });
});
