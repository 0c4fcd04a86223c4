import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DataDir } from '../../lib/origin/data-dir.js';

describe('DataDir', () => {
  let top: string;
  let dir: string;
  let data: DataDir;

  /** Writes a file under the data folder, creating its folders. */
  async function put(name: string, text: string): Promise<void> {
    const file = path.join(dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }

  beforeEach(async () => {
    // The data folder sits inside a temp folder so a symlink can point just outside it.
    top = await mkdtemp(path.join(os.tmpdir(), 'dproxy-data-dir-'));
    dir = path.join(top, 'data');
    await mkdir(dir);
    await writeFile(path.join(top, 'secret.json'), '{"secret":true}');
    data = new DataDir(dir);
  });

  afterEach(async () => {
    await rm(top, { recursive: true, force: true });
  });

  it('reads the document of a key from <key>.json', async () => {
    await put('article/1.json', '{"title":"x"}');
    expect(await data.lookup('article/1')).to.deep.equal({ kind: 'ok', data: '{"title":"x"}' });
  });

  it('compacts the document to one line of JSON', async () => {
    await put('article/1.json', '{\n  "title": "x",\n  "tags": [ 1, 2 ]\n}\n');
    expect(await data.lookup('article/1')).to.deep.equal({ kind: 'ok', data: '{"title":"x","tags":[1,2]}' });
  });

  it('reads a key without a folder', async () => {
    await put('top.json', '[1]');
    expect(await data.lookup('top')).to.deep.equal({ kind: 'ok', data: '[1]' });
  });

  it('answers not_found for a missing document', async () => {
    expect(await data.lookup('article/404')).to.deep.equal({ kind: 'not_found' });
  });

  it('answers not_found for a document that is not JSON', async () => {
    await put('broken.json', '{"title":');
    expect(await data.lookup('broken')).to.deep.equal({ kind: 'not_found' });
  });

  it('answers not_found for a key naming a folder', async () => {
    await mkdir(path.join(dir, 'folder.json'));
    expect(await data.lookup('folder')).to.deep.equal({ kind: 'not_found' });
  });

  describe('metadata', () => {
    it('adds the ttl, in seconds, of the sidecar <key>.meta.json', async () => {
      await put('article/1.json', '{"title":"x"}');
      await put('article/1.meta.json', '{"ttl": 30}');
      expect(await data.lookup('article/1')).to.deep.equal({ kind: 'ok', data: '{"title":"x"}', ttl: 30 });
    });

    it('keeps a ttl of 0 and a fractional ttl', async () => {
      await put('zero.json', '1');
      await put('zero.meta.json', '{"ttl":0}');
      await put('half.json', '1');
      await put('half.meta.json', '{"ttl":0.5}');
      expect(await data.lookup('zero')).to.deep.equal({ kind: 'ok', data: '1', ttl: 0 });
      expect(await data.lookup('half')).to.deep.equal({ kind: 'ok', data: '1', ttl: 0.5 });
    });

    it('ignores a sidecar whose ttl is negative or not a number, or that is not JSON', async () => {
      const sidecars = ['{"ttl":-1}', '{"ttl":"30"}', '{"ttl":null}', '{}', 'not json', '[30]'];
      for (const [i, sidecar] of sidecars.entries()) {
        await put(`doc${i}.json`, '1');
        await put(`doc${i}.meta.json`, sidecar);
        expect(await data.lookup(`doc${i}`), sidecar).to.deep.equal({ kind: 'ok', data: '1' });
      }
    });

    it('answers not_found for a key ending in .meta, even when its file exists', async () => {
      await put('article/1.json', '{"title":"x"}');
      await put('article/1.meta.json', '{"ttl":30}');
      expect(await data.lookup('article/1.meta')).to.deep.equal({ kind: 'not_found' });
    });
  });

  describe('files that are not regular files', () => {
    /** A FIFO at `name` under the data folder, made by coreutils' mkfifo. */
    const fifo = (name: string): Promise<unknown> => promisify(execFile)('mkfifo', [path.join(dir, name)]);

    it('answers not_found for a FIFO named <key>.json, and keeps reading other documents', async () => {
      // Opened blocking, each lookup of a FIFO with no writer would hold one of libuv's four
      // threadpool threads for good, and the good lookup after them would never finish.
      await fifo('pipe.json');
      await put('good.json', '{"ok":true}');
      const lookups = await Promise.all(Array.from({ length: 6 }, () => data.lookup('pipe')));
      expect(lookups).to.deep.equal(Array.from({ length: 6 }, () => ({ kind: 'not_found' })));
      expect(await data.lookup('good')).to.deep.equal({ kind: 'ok', data: '{"ok":true}' });
    });

    it('answers not_found for a Unix socket named <key>.json', async () => {
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(path.join(dir, 'sock.json'), resolve));
      try {
        expect(await data.lookup('sock')).to.deep.equal({ kind: 'not_found' });
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('ignores a sidecar that is a FIFO or a folder, and serves the document', async () => {
      await put('a.json', '1');
      await fifo('a.meta.json');
      await put('b.json', '2');
      await mkdir(path.join(dir, 'b.meta.json'));
      const lookups = await Promise.all(Array.from({ length: 6 }, () => data.lookup('a')));
      expect(lookups).to.deep.equal(Array.from({ length: 6 }, () => ({ kind: 'ok', data: '1' })));
      expect(await data.lookup('b')).to.deep.equal({ kind: 'ok', data: '2' });
    });
  });

  describe('unsafe keys', () => {
    const badKey = (reason: string) => ({ kind: 'bad_key', reason });
    const segment = badKey('key has an empty, "." or ".." segment');

    it('refuses a key with a .. segment, even one that stays inside the folder', async () => {
      await put('a/b.json', '1');
      expect(await data.lookup('../secret')).to.deep.equal(segment);
      expect(await data.lookup('a/../a/b')).to.deep.equal(segment);
    });

    it('refuses a key with a . or empty segment', async () => {
      expect(await data.lookup('./a')).to.deep.equal(segment);
      expect(await data.lookup('a//b')).to.deep.equal(segment);
      expect(await data.lookup('a/')).to.deep.equal(segment);
    });

    it('refuses an absolute key', async () => {
      expect(await data.lookup(path.join(top, 'secret'))).to.deep.equal(badKey('key is an absolute path'));
    });

    it('refuses a key with a backslash', async () => {
      expect(await data.lookup('a\\..\\..\\secret')).to.deep.equal(badKey('key contains a backslash'));
    });

    it('refuses a key with a NUL byte', async () => {
      expect(await data.lookup('a\0b')).to.deep.equal(badKey('key contains a NUL byte'));
    });

    it('refuses a key whose file is a symlink out of the folder', async () => {
      await symlink(path.join(top, 'secret.json'), path.join(dir, 'leak.json'));
      expect(await data.lookup('leak')).to.deep.equal(badKey('key leaves the data folder'));
    });

    it('refuses a symlink into a sibling folder whose name starts with the data folder\'s', async () => {
      await mkdir(path.join(top, 'data2'));
      await writeFile(path.join(top, 'data2', 'x.json'), '1');
      await symlink(path.join(top, 'data2', 'x.json'), path.join(dir, 'sib.json'));
      expect(await data.lookup('sib')).to.deep.equal(badKey('key leaves the data folder'));
    });

    it('refuses a key under a symlinked folder that points out of the folder', async () => {
      await symlink(top, path.join(dir, 'up'));
      expect(await data.lookup('up/secret')).to.deep.equal(badKey('key leaves the data folder'));
    });

    it('ignores a sidecar that is a symlink out of the folder', async () => {
      await writeFile(path.join(top, 'outside.meta.json'), '{"ttl":5}');
      await put('article/1.json', '{"title":"x"}');
      await symlink(path.join(top, 'outside.meta.json'), path.join(dir, 'article', '1.meta.json'));
      expect(await data.lookup('article/1')).to.deep.equal({ kind: 'ok', data: '{"title":"x"}' });
    });

    it('reads a sidecar that is a symlink inside the folder', async () => {
      await put('shared.meta.json', '{"ttl":7}');
      await put('article/2.json', '{"title":"y"}');
      await symlink(path.join(dir, 'shared.meta.json'), path.join(dir, 'article', '2.meta.json'));
      expect(await data.lookup('article/2')).to.deep.equal({ kind: 'ok', data: '{"title":"y"}', ttl: 7 });
    });

    it('follows a symlink that stays inside the folder', async () => {
      await put('real/1.json', '{"n":1}');
      await symlink(path.join(dir, 'real'), path.join(dir, 'alias'));
      expect(await data.lookup('alias/1')).to.deep.equal({ kind: 'ok', data: '{"n":1}' });
    });

    it('reads documents when the data folder itself is reached through a symlink', async () => {
      await put('a.json', '2');
      await symlink(dir, path.join(top, 'link'));
      expect(await new DataDir(path.join(top, 'link')).lookup('a')).to.deep.equal({ kind: 'ok', data: '2' });
    });
  });
});
