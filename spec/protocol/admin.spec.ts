import { expect } from 'chai';
import { refuseUnauthorized } from '../../lib/protocol/admin.js';

const unauthorized = (error: string) => JSON.stringify({ status: 'UNAUTHORIZED', error });

describe('refuseUnauthorized', () => {
  it('lets every request through when no admin token is configured', () => {
    expect(refuseUnauthorized({}, undefined)).to.equal(undefined);
    expect(refuseUnauthorized({ token: 'anything' }, undefined)).to.equal(undefined);
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

  it('compares tokens as UTF-8 bytes', () => {
    expect(refuseUnauthorized({ token: 'clé' }, 'clé')).to.equal(undefined);
    expect(refuseUnauthorized({ token: 'cle' }, 'clé')).to.equal(unauthorized('wrong admin token'));
  });
});
