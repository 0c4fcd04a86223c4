import net from 'node:net';
import { expect } from 'chai';
import { StartupError, loggableConfig, startupProblem } from '../../lib/net/lifecycle.js';

/** The error a real listen on `port` of `host` fails with. */
async function listenError(port: number, host = '127.0.0.1'): Promise<unknown> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', resolve);
    server.listen(port, host, () => server.close(() => resolve(undefined)));
  });
}

describe('loggableConfig', () => {
  it('hides a token and the values of headers, and keeps the rest', () => {
    expect(loggableConfig({ port: 8001, adminToken: 's', originHeaders: { authorization: 'Bearer s', host: 'api' }, ttl: 30 })).to.deep.equal({
      port: 8001,
      adminToken: '<set>',
      originHeaders: { authorization: '<set>', host: '<set>' },
      ttl: 30,
    });
    expect(loggableConfig({ adminToken: undefined })).to.deep.equal({ adminToken: undefined });
  });
});

describe('startupProblem', () => {
  it('says a StartupError as it is', () => {
    expect(startupProblem(new StartupError('data folder /x does not exist (--data-dir)'))).to.equal('data folder /x does not exist (--data-dir)');
  });

  it('says which port is in use, from the error of a real listen', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as net.AddressInfo;
    try {
      expect(startupProblem(await listenError(port))).to.equal(`port ${port} is in use`);
    } finally {
      holder.close();
    }
  });

  it('says that a host does not resolve', async () => {
    expect(startupProblem(await listenError(0, 'no-such-host.invalid'))).to.equal('cannot listen on no-such-host.invalid: the host name does not resolve (--host)');
  });

  it('leaves anything else alone: a bug keeps its stack', () => {
    expect(startupProblem(new TypeError('x is undefined'))).to.equal(undefined);
  });
});
