// The origin's source of truth: JSON documents in a folder, `article/1` -> `<dir>/article/1.json`,
// with optional metadata beside each in `<dir>/article/1.meta.json` (`{"ttl": seconds}`).
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';

export type Lookup =
  /** `ttl` in seconds when the document's metadata sets one. */
  | { readonly kind: 'ok'; readonly data: string; readonly ttl?: number }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'bad_key'; readonly reason: string };

/** Reads documents by key; no key can name a file outside the folder, however it is spelled. */
export class DataDir {
  private root?: Promise<string>;

  constructor(readonly dir: string) {}

  async lookup(key: string): Promise<Lookup> {
    const reason = unsafe(key);
    if (reason !== undefined) return { kind: 'bad_key', reason };
    // Metadata files are not documents.
    if (key.endsWith('.meta')) return { kind: 'not_found' };
    let root: string;
    let file: string;
    try {
      root = await (this.root ??= realpath(this.dir));
      // realpath follows symlinks, so a link pointing out of the folder is caught below.
      file = await realpath(path.join(root, `${key}.json`));
    } catch {
      return { kind: 'not_found' };
    }
    if (!file.startsWith(root + path.sep)) return { kind: 'bad_key', reason: 'key leaves the data folder' };
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return { kind: 'not_found' };
    }
    let data: string;
    try {
      data = JSON.stringify(JSON.parse(text));
    } catch {
      return { kind: 'not_found' };
    }
    const ttl = await readTtl(`${file.slice(0, -'.json'.length)}.meta.json`);
    return ttl === undefined ? { kind: 'ok', data } : { kind: 'ok', data, ttl };
  }
}

/** Why a key may not be looked up at all, or undefined when its shape is safe. */
function unsafe(key: string): string | undefined {
  if (key.includes('\\')) return 'key contains a backslash';
  if (key.includes('\0')) return 'key contains a NUL byte';
  if (path.isAbsolute(key)) return 'key is an absolute path';
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return 'key has an empty, "." or ".." segment';
  }
  return undefined;
}

/** The `ttl` of a metadata file, or undefined when there is none or it is not a number >= 0. */
async function readTtl(file: string): Promise<number | undefined> {
  try {
    const { ttl } = JSON.parse(await readFile(file, 'utf8')) as { ttl?: unknown };
    return typeof ttl === 'number' && Number.isFinite(ttl) && ttl >= 0 ? ttl : undefined;
  } catch {
    return undefined;
  }
}
