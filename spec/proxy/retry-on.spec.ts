import { expect } from 'chai';
import { FAILURE_CAUSES } from '../../lib/proxy/messages.js';
import { DEFAULT_RETRY_ON, parseRetryOn } from '../../lib/proxy/retry-on.js';

describe('--origin-retry-on', () => {
  it('retries a connection failure, a lost connection and junk by default, not a timeout or an error status', () => {
    expect(DEFAULT_RETRY_ON).to.deep.equal(['conn-failure', 'empty-response', 'junk-response']);
  });

  it('reads causes separated by commas, spaces around them allowed, without repeats, in a fixed order', () => {
    expect(parseRetryOn('response-timeout')).to.deep.equal(['response-timeout']);
    expect(parseRetryOn('error-status, conn-failure,conn-failure')).to.deep.equal(['conn-failure', 'error-status']);
    expect(parseRetryOn('conn-failure,empty-response,junk-response')).to.deep.equal([...DEFAULT_RETRY_ON]);
  });

  it('reads none as no retry and all as every cause', () => {
    expect(parseRetryOn('none')).to.deep.equal([]);
    expect(parseRetryOn('all')).to.deep.equal([...FAILURE_CAUSES]);
  });

  it('refuses an unknown word, naming it and the words it takes', () => {
    const allowed = 'conn-failure, empty-response, junk-response, response-timeout, error-status; or none or all alone';
    expect(() => parseRetryOn('conn-failure,timeout')).to.throw(`unknown cause "timeout"; expected causes separated by commas among ${allowed}`);
    expect(() => parseRetryOn('')).to.throw('unknown cause ""');
    expect(() => parseRetryOn('conn-failure,')).to.throw('unknown cause ""');
    expect(() => parseRetryOn('Conn-Failure')).to.throw('unknown cause "Conn-Failure"');
  });

  it('refuses none or all in a list', () => {
    expect(() => parseRetryOn('none,conn-failure')).to.throw('"none" stands alone, not in a list');
    expect(() => parseRetryOn('all,none')).to.throw('"all" stands alone, not in a list');
  });
});
