// The origin's source of truth: JSON documents in a folder, `article/1` -> `<dir>/article/1.json`,
// with optional metadata beside each in `<dir>/article/1.meta.json` (`{"ttl": seconds}`).
import { constants } from 'node:fs';
import { access, open, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export type Lookup =
  /** `ttl` in seconds when the document's metadata sets one. */
  | { readonly kind: 'ok'; readonly data: string; readonly ttl?: number }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'bad_key'; readonly reason: string };

// O_NONBLOCK: opening a FIFO that has no writer blocks until one comes, in one of libuv's four
// threadpool threads; four such opens stall every file read of the process. Non-blocking, the open
// returns at once and fstat turns the FIFO away. O_NOFOLLOW: the path was resolved by realpath
// and checked; a symlink put in its place since is not followed. (Both are 0 where they do not exist.)
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);

// What `resolve` gives for a path whose target is outside the data folder.
const OUTSIDE = Symbol('outside');

/**
 * Reads documents by key; no key can name a file outside the folder, however it is spelled, and
 * only regular files are read: a FIFO, device, socket or folder named `<key>.json` is `not_found`,
 * and one named `<key>.meta.json` is ignored, as is a sidecar that resolves out of the folder.
 */
export class DataDir {
  private root?: Promise<string>;

  constructor(readonly dir: string) {}

  async lookup(key: string): Promise<Lookup> {
    const reason = unsafe(key);
    if (reason !== undefined) return { kind: 'bad_key', reason };
    // Metadata files are not documents.
    if (key.endsWith('.meta')) return { kind: 'not_found' };
    let root: string;
    try {
      root = await (this.root ??= realpath(this.dir));
    } catch {
      return { kind: 'not_found' };
    }
    const file = await resolve(root, path.join(root, `${key}.json`));
    if (file === OUTSIDE) return { kind: 'bad_key', reason: 'key leaves the data folder' };
    if (file === undefined) return { kind: 'not_found' };
    const text = await readRegular(file);
    if (text === undefined) return { kind: 'not_found' };
    let data: string;
    try {
      data = JSON.stringify(JSON.parse(text));
    } catch {
      return { kind: 'not_found' };
    }
    // The sidecar beside the document as resolved, held to the same containment.
    const sidecar = await resolve(root, `${file.slice(0, -'.json'.length)}.meta.json`);
    const ttl = sidecar === undefined || sidecar === OUTSIDE ? undefined : readTtl(await readRegular(sidecar));
    return ttl === undefined ? { kind: 'ok', data } : { kind: 'ok', data, ttl };
  }
}

/**
 * Why `dir` cannot be a data folder, as one line naming it, or undefined when it can: it must
 * exist, be a folder (symlinks followed), and let this process open what is in it (search
 * permission, X_OK; listing it is never needed). Checked at start: otherwise a mistyped
 * --data-dir would answer NOT_FOUND to every key.
 */
export async function dataDirProblem(dir: string): Promise<string | undefined> {
  try {
    if (!(await stat(dir)).isDirectory()) return `data folder ${dir} is not a folder (--data-dir)`;
    await access(dir, constants.X_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return `data folder ${dir} does not exist (--data-dir)`;
    return `data folder ${dir} cannot be read: ${code === 'EACCES' ? 'no permission' : code} (--data-dir)`;
  }
}

/**
 * `file` with every symlink followed (realpath), or OUTSIDE when that leaves `root` (itself
 * resolved), or undefined when it does not exist.
 */
async function resolve(root: string, file: string): Promise<string | typeof OUTSIDE | undefined> {
  let real: string;
  try {
    real = await realpath(file);
  } catch {
    return undefined;
  }
  return real.startsWith(root + path.sep) ? real : OUTSIDE;
}

/** The text of `file` when it is a regular file; undefined for anything else, or when it cannot be read. */
async function readRegular(file: string): Promise<string | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, OPEN_FLAGS);
  } catch {
    return undefined;
  }
  try {
    // fstat of the handle that is read, not a stat of the path: nothing can be swapped in between.
    if (!(await handle.stat()).isFile()) return undefined;
    return await handle.readFile('utf8');
  } catch {
    return undefined;
  } finally {
    await handle.close().catch(() => undefined);
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

/** The `ttl` of a metadata file's text, or undefined when there is none or it is not a number >= 0. */
function readTtl(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    const { ttl } = JSON.parse(text) as { ttl?: unknown };
    return typeof ttl === 'number' && Number.isFinite(ttl) && ttl >= 0 ? ttl : undefined;
  } catch {
    return undefined;
  }
}
