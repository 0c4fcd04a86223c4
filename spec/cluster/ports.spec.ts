import net from 'node:net';
import { expect } from 'chai';
import { choosePorts } from '../../lib/cluster/ports.js';

describe('choosePorts', () => {
  it('keeps a port given and replaces each 0 by a different free one', async () => {
    const [given] = await choosePorts('127.0.0.1', [{ node: 'a', port: 0 }]);
    const ports = await choosePorts('127.0.0.1', [
      { node: 'origin', port: given! },
      { node: 'proxy 1', port: 0 },
      { node: 'proxy 2', port: 0 },
    ]);
    expect(ports[0]).to.equal(given);
    expect(new Set(ports).size).to.equal(3);
  });

  it('rejects a port in use, a port given twice, and a port past 65535, naming the node', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as net.AddressInfo;
    const failure = (requests: { node: string; port: number }[]): Promise<string> =>
      choosePorts('127.0.0.1', requests).then(
        () => 'none',
        (err: Error) => err.message,
      );
    try {
      expect(await failure([{ node: 'origin', port: 0 }, { node: 'proxy 2', port }])).to.equal(`port ${port} (proxy 2) is in use`);
      expect(await failure([{ node: 'proxy 2', port: 9000 }, { node: 'load balancer', port: 9000 }])).to.equal('port 9000 is given to both proxy 2 and load balancer');
      expect(await failure([{ node: 'proxy 3', port: 65536 }])).to.equal('proxy 3 would listen on port 65536, past 65535');
    } finally {
      holder.close();
    }
  });
});
