import { expect } from 'chai';
import { parseAddress, reachesItself, readAddress } from '../../lib/protocol/address.js';

describe('address', () => {
  it('reads host:port with a port of 1 to 65535, and nothing else', () => {
    expect(readAddress('127.0.0.1:8001')).to.deep.equal({ host: '127.0.0.1', port: 8001 });
    for (const text of ['8001', ':8001', '127.0.0.1:0', 'host:65536', 'host:80a']) expect(readAddress(text), text).to.equal(undefined);
    expect(() => parseAddress('8001')).to.throw('"8001" is not host:port');
  });

  describe('reachesItself', () => {
    const at = (host: string, port = 8001) => ({ host, port });

    it('holds for the same port on the same host, or a loopback name of a node on loopback or every address', () => {
      expect(reachesItself(at('127.0.0.1'), at('127.0.0.1'))).to.equal(true);
      expect(reachesItself(at('127.0.0.1'), at('localhost'))).to.equal(true);
      expect(reachesItself(at('0.0.0.0'), at('127.0.0.1'))).to.equal(true);
      expect(reachesItself(at('::'), at('::1'))).to.equal(true);
      expect(reachesItself(at('10.0.0.5'), at('10.0.0.5'))).to.equal(true);
    });

    it('does not hold for another port, or another machine', () => {
      expect(reachesItself(at('127.0.0.1'), at('127.0.0.1', 8000))).to.equal(false);
      expect(reachesItself(at('127.0.0.1'), at('10.0.0.5'))).to.equal(false);
      expect(reachesItself(at('10.0.0.5'), at('127.0.0.1'))).to.equal(false);
    });
  });
});
