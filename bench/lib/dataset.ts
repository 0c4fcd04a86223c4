// Data folders for benchmark origins: many small documents for throughput, large distinct ones to
// fill a cache, written from a seed so every run serves the same bytes.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { seededRandom } from './random.js';

const WORDS = ['proxy', 'origin', 'cache', 'balancer', 'actor', 'stream', 'health', 'grace', 'stale', 'drain', 'ttl', 'lru', 'latency', 'socket', 'edge', 'shard', 'hash', 'ring', 'probe', 'purge'];

/**
 * Writes `<dir>/<prefix><n>.json` for n = 1..count, each a JSON object of about `size` bytes
 * once compacted, and returns the keys (`<prefix><n>`).
 */
export async function writeDocuments(dir: string, prefix: string, count: number, size: number, seed = 1): Promise<string[]> {
  const random = seededRandom(seed);
  const keys: string[] = [];
  await mkdir(path.dirname(path.join(dir, `${prefix}1.json`)), { recursive: true });
  const pending: Promise<void>[] = [];
  for (let n = 1; n <= count; n++) {
    const key = `${prefix}${n}`;
    keys.push(key);
    pending.push(writeFile(path.join(dir, `${key}.json`), document(n, size, random)));
    if (pending.length >= 64) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  return keys;
}

/** A document of exactly `size` bytes when `size` leaves room for its fields, distinct per `n`. */
export function document(n: number, size: number, random: () => number): string {
  const head = `{"id":${n},"title":"document ${n}","body":"`;
  const tail = '"}';
  let body = '';
  while (body.length < size - head.length - tail.length) body += `${WORDS[Math.floor(random() * WORDS.length)]} `;
  return head + body.slice(0, Math.max(0, size - head.length - tail.length)) + tail;
}
