import { expect } from 'chai';
import { planCluster } from '../../lib/cluster/plan.js';

describe('planCluster', () => {
  it('starts the origin, the proxies (each the others\' peer) and the balancer, on ports fixed before any starts', async () => {
    const nodes = await planCluster({ originPort: 0, proxyPort: 0, proxies: 2, port: 0, strategy: 'p2c', latency: 5, adminToken: 'T' });
    expect(nodes.map((n) => n.role)).to.deep.equal(['origin', 'proxy', 'proxy', 'load balancer']);
    const [origin, p1, p2, lb] = nodes.map((n) => ({ ...n, port: n.address.split(':')[1]! }));
    for (const n of [origin!, p1!, p2!, lb!]) expect(n.port, n.role).to.not.equal('0');
    expect(origin!.args).to.deep.equal(['--port', origin!.port, '--latency', '5']);
    expect(p1!.args).to.deep.equal(['--port', p1!.port, '--origin-port', origin!.port, '--admin-token', 'T', '--peers', p2!.address]);
    expect(p2!.args).to.deep.equal(['--port', p2!.port, '--origin-port', origin!.port, '--admin-token', 'T', '--peers', p1!.address]);
    expect(lb!.args).to.deep.equal(['--port', lb!.port, '--strategy', 'p2c', '--admin-token', 'T', '--proxies', p1!.address, p2!.address]);
    expect(lb!.note).to.equal('p2c');
  });

  it('gives the origin the data folder, and a lone proxy no peers', async () => {
    const nodes = await planCluster({ originPort: 0, proxyPort: 0, proxies: 1, port: 0, strategy: 'p2c', latency: 0, dataDir: '/data', adminToken: 'T' });
    expect(nodes[0]!.args.slice(-2)).to.deep.equal(['--data-dir', '/data']);
    expect(nodes[1]!.args).to.not.include('--peers');
  });
});
