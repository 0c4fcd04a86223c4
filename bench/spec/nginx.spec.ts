import { expect } from 'chai';
import { nginxConfig, parseNginxVersion, type NginxConfigOptions } from '../lib/nginx.js';

describe('nginxConfig', () => {
  const options: NginxConfigOptions = {
    port: 41234,
    origin: { host: '127.0.0.1', port: 8000 },
    base: '/base/',
    dir: '/tmp/dproxy-bench-nginx-x',
    validS: 60,
    workers: 1,
    keepalive: 64,
    workerConnections: 2256,
  };
  const linesOf = (config: string): string[] => config.split('\n').map((l) => l.trim());
  const lines = linesOf(nginxConfig(options));

  it('runs in the foreground with one worker, errors to stderr', () => {
    expect(lines).to.include('daemon off;');
    expect(lines).to.include('worker_processes 1;');
    expect(lines).to.include('error_log stderr warn;');
    expect(lines).to.include('worker_connections 2256;');
  });

  it('listens on loopback only, on the given port', () => {
    expect(lines.filter((l) => l.startsWith('listen '))).to.deep.equal(['listen 127.0.0.1:41234;']);
  });

  it('caches the base path in a zone under the run folder, one origin request per cold key (proxy_cache_lock)', () => {
    const cachePath = lines.find((l) => l.startsWith('proxy_cache_path '));
    expect(cachePath).to.match(/^proxy_cache_path \/tmp\/dproxy-bench-nginx-x\/cache .*keys_zone=bench:/);
    expect(lines).to.include('location /base/ {');
    expect(lines).to.include('proxy_cache bench;');
    expect(lines).to.include('proxy_cache_lock on;');
  });

  it('keeps a 200 as long as the origin says, by default', () => {
    expect(lines).to.include('proxy_cache_valid 200 60s;');
    expect(linesOf(nginxConfig({ ...options, validS: 5 }))).to.include('proxy_cache_valid 200 5s;');
  });

  it('reaches the origin over HTTP/1.1 keep-alive connections', () => {
    expect(lines).to.include('server 127.0.0.1:8000;');
    expect(lines).to.include('keepalive 64;');
    expect(lines).to.include('proxy_pass http://origin;');
    expect(lines).to.include('proxy_http_version 1.1;');
    expect(lines).to.include('proxy_set_header Connection "";');
  });

  it('writes nothing outside the run folder: every path it names is under it', () => {
    const paths = nginxConfig(options).match(/\s(\/[^\s;]*)/g)!.map((p) => p.trim()).filter((p) => p !== '/base/');
    expect(paths.length).to.be.at.least(7);
    for (const p of paths) expect(p.startsWith('/tmp/dproxy-bench-nginx-x/'), p).to.equal(true);
  });

  it('names the workers\' user only when given one', () => {
    expect(lines.filter((l) => l.startsWith('user '))).to.deep.equal([]);
    expect(linesOf(nginxConfig({ ...options, user: 'root' })).filter((l) => l.startsWith('user '))).to.deep.equal(['user root;']);
  });

  it('tells hits from misses in a header', () => {
    expect(lines).to.include('add_header X-Cache-Status $upstream_cache_status always;');
  });
});

describe('parseNginxVersion', () => {
  it("reads the version out of nginx -v's line", () => {
    expect(parseNginxVersion('nginx version: nginx/1.22.1\n')).to.equal('1.22.1');
  });

  it('finds nothing in other output', () => {
    expect(parseNginxVersion('HAProxy version 2.6.12')).to.equal(undefined);
  });
});
