import { expect } from 'chai';
import { planCluster } from '../../lib/cluster/plan.js';

const flags = { originPort: 0, proxyPort: 0, port: 0, strategy: 'p2c', adminToken: 'T', metricsPort: 0, logLevel: 'warn' };

describe('planCluster', () => {
  it("starts the origin, the proxies (each the others' peer) and the balancer, on ports and metrics ports fixed before any starts", async () => {
    const nodes = await planCluster({ ...flags, proxies: 2, latency: 5 });
    expect(nodes.map((n) => n.role)).to.deep.equal(['origin', 'proxy', 'proxy', 'load balancer']);
    expect(nodes.map((n) => n.name)).to.deep.equal(['origin', 'proxy-1', 'proxy-2', 'load-balancer']);
    const [origin, p1, p2, lb] = nodes.map((n) => ({ ...n, port: n.address.split(':')[1]!, metricsPort: n.metrics!.split(':')[1]! }));
    for (const n of [origin!, p1!, p2!, lb!]) expect([n.port, n.metricsPort], n.role).to.not.include('0');
    expect(new Set(nodes.flatMap((n) => [n.address, n.metrics])).size, 'no port given twice').to.equal(8);
    const observed = (n: { metricsPort: string }): string[] => ['--metrics-port', n.metricsPort, '--log-level', 'warn'];
    expect(origin!.args).to.deep.equal(['--port', origin!.port, '--latency', '5', ...observed(origin!)]);
    expect(p1!.args).to.deep.equal(['--port', p1!.port, '--origin-port', origin!.port, '--admin-token', 'T', ...observed(p1!), '--peers', p2!.address]);
    expect(p2!.args).to.deep.equal(['--port', p2!.port, '--origin-port', origin!.port, '--admin-token', 'T', ...observed(p2!), '--peers', p1!.address]);
    expect(lb!.args).to.deep.equal(['--port', lb!.port, '--strategy', 'p2c', '--admin-token', 'T', ...observed(lb!), '--proxies', p1!.address, p2!.address]);
    expect(lb!.note).to.equal('p2c');
  });

  it('gives the origin the data folder, and a lone proxy no peers', async () => {
    const nodes = await planCluster({ ...flags, proxies: 1, latency: 0, dataDir: '/data' });
    expect(nodes[0]!.args).to.include.members(['--data-dir', '/data']);
    expect(nodes[0]!.args[nodes[0]!.args.indexOf('--data-dir') + 1]).to.equal('/data');
    expect(nodes[1]!.args).to.not.include('--peers');
  });

  it('with an origin URL starts no origin node, and the proxies get --origin-url', async () => {
    const nodes = await planCluster({ ...flags, proxies: 2, latency: 0, originUrl: 'http://127.0.0.1:8080/api/' });
    expect(nodes.map((n) => n.role)).to.deep.equal(['proxy', 'proxy', 'load balancer']);
    for (const proxy of nodes.slice(0, 2)) {
      expect(proxy.args.slice(2, 4)).to.deep.equal(['--origin-url', 'http://127.0.0.1:8080/api/']);
      expect(proxy.args).to.not.include('--origin-port');
    }
  });

  it('gives every proxy each --origin-header, in order', async () => {
    const nodes = await planCluster({ ...flags, proxies: 2, latency: 0, originUrl: 'http://127.0.0.1:8080/api/', originHeaders: ['X-Api-Key: k', 'Host: api.test'] });
    for (const proxy of nodes.slice(0, 2)) {
      expect(proxy.args.slice(2, 8)).to.deep.equal(['--origin-url', 'http://127.0.0.1:8080/api/', '--origin-header', 'X-Api-Key: k', '--origin-header', 'Host: api.test']);
    }
    expect(nodes[2]!.args).to.not.include('--origin-header');
  });

  it('gives every proxy --origin-retry-on when it is given, and none otherwise', async () => {
    const nodes = await planCluster({ ...flags, proxies: 2, latency: 0, originRetryOn: 'all' });
    for (const proxy of nodes.slice(1, 3)) expect(proxy.args.slice(2, 6)).to.deep.equal(['--origin-port', nodes[0]!.address.split(':')[1]!, '--origin-retry-on', 'all']);
    expect(nodes[0]!.args).to.not.include('--origin-retry-on');
    expect(nodes[3]!.args).to.not.include('--origin-retry-on');
    const byUrl = await planCluster({ ...flags, proxies: 1, latency: 0, originUrl: 'http://127.0.0.1:8080/api/', originRetryOn: 'none' });
    expect(byUrl[0]!.args.slice(2, 6)).to.deep.equal(['--origin-url', 'http://127.0.0.1:8080/api/', '--origin-retry-on', 'none']);
    for (const node of await planCluster({ ...flags, proxies: 2, latency: 0 })) expect(node.args, node.name).to.not.include('--origin-retry-on');
  });
});
