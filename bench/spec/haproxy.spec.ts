import { expect } from 'chai';
import { haproxyConfig, parseVersion } from '../lib/haproxy.js';

describe('haproxyConfig', () => {
  const config = haproxyConfig({
    port: 41234,
    servers: [
      { host: '127.0.0.1', port: 8001 },
      { host: '127.0.0.1', port: 8002 },
      { host: '127.0.0.1', port: 8003 },
    ],
  });
  const lines = config.split('\n').map((l) => l.trim());

  it('balances whole TCP connections round-robin', () => {
    expect(lines).to.include('mode tcp');
    expect(lines).to.include('balance roundrobin');
  });

  it('listens on loopback only, on the given port', () => {
    expect(lines.filter((l) => l.startsWith('bind '))).to.deep.equal(['bind 127.0.0.1:41234']);
  });

  it('has one server line per proxy, without health checks', () => {
    expect(lines.filter((l) => l.startsWith('server '))).to.deep.equal([
      'server proxy1 127.0.0.1:8001',
      'server proxy2 127.0.0.1:8002',
      'server proxy3 127.0.0.1:8003',
    ]);
  });

  it('sets the connect, client and server timeouts HAProxy warns about when missing', () => {
    for (const t of ['connect', 'client', 'server']) expect(lines.some((l) => l.startsWith(`timeout ${t} `)), t).to.equal(true);
  });
});

describe('parseVersion', () => {
  it("reads the version out of haproxy -v's first line", () => {
    expect(parseVersion('HAProxy version 2.6.12-1+deb12u3 2025/10/03 - https://haproxy.org/\nStatus: long-term')).to.equal('2.6.12-1+deb12u3');
    expect(parseVersion('HA-Proxy version 1.8.19 2019/02/11')).to.equal('1.8.19');
  });

  it('finds nothing in other output', () => {
    expect(parseVersion('command not found')).to.equal(undefined);
  });
});
