import { expect } from 'chai';
import { statusOf } from '../../lib/protocol/status-of.js';

describe('statusOf', () => {
  it('reads OK from the first bytes of our answers, as text or bytes', () => {
    expect(statusOf('{"status":"OK","data":1}')).to.equal('OK');
    expect(statusOf(Buffer.from('{"status":"OK","data":{"a":1},"cache_hit":true,"node":8001}'))).to.equal('OK');
  });

  it('reads any other status of ours', () => {
    expect(statusOf(Buffer.from('{"status":"NOT_FOUND","data":"no such key"}'))).to.equal('NOT_FOUND');
    expect(statusOf('{"status":"ORIGIN_FAILURE","error":"origin timed out"}')).to.equal('ORIGIN_FAILURE');
  });

  it('reads the original Python nodes\' spacing, and a status that is not the first field', () => {
    expect(statusOf('{"status": "OK", "data": {}}')).to.equal('OK');
    expect(statusOf('{"data":1,"status":"NOT_FOUND"}')).to.equal('NOT_FOUND');
  });

  it('is not fooled by an OK prefix that names another status', () => {
    expect(statusOf('{"status":"OKAY"}')).to.equal('OKAY');
  });

  it('says UNKNOWN for a line without a status', () => {
    expect(statusOf('{"data":1}')).to.equal('UNKNOWN');
    expect(statusOf('not json')).to.equal('UNKNOWN');
  });
});
