// The cache actor alone, fed straight from a Subject, its origin answering every fetch at once:
// what bench/bin/bench-cache measures, for this checkout or for a built baseline checkout beside it.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Observable, Subject } from 'rxjs';
import type { CacheActorOptions, CacheInput, CacheOutput } from '../../lib/proxy/cache-actor.js';
import type { Answer } from '../../lib/protocol/response.js';
import { realClock } from '../../lib/time/clock.js';

/**
 * What a hit costs includes writing its answer: the reply does what a socket write does in JS,
 * encoding text to UTF-8 (bytes are handed to the kernel as they are).
 */
export interface CacheHarness {
  get(key: string): void;
  /** Origin fetches so far. */
  fetches(): number;
  /** Answer bytes written so far. */
  bytes(): number;
}

type CacheActorFactory = (options: CacheActorOptions) => (inbox: Observable<CacheInput>, clock: typeof realClock) => Observable<CacheOutput>;

/** The data every fetch returns: a small JSON document. */
const VALUE = JSON.stringify({ id: 1, title: 'x'.repeat(40), body: 'y'.repeat(200) });

/** A harness over the cache actor of this checkout (`root` undefined) or of the built checkout at `root`. */
export async function cacheHarness(options: CacheActorOptions, root?: string): Promise<CacheHarness> {
  let cacheActor: CacheActorFactory;
  let SubjectClass: new () => Subject<CacheInput>;
  if (root === undefined) {
    cacheActor = (await import('../../lib/proxy/cache-actor.js')).cacheActor;
    SubjectClass = (await import('rxjs')).Subject;
  } else {
    // The baseline's own modules and its own rxjs, so the two share no code and no inline caches.
    cacheActor = ((await import(pathToFileURL(`${root}/dist/lib/proxy/cache-actor.js`).href)) as { cacheActor: CacheActorFactory }).cacheActor;
    SubjectClass = (createRequire(`${root}/package.json`)('rxjs') as { Subject: new () => Subject<CacheInput> }).Subject;
  }
  const inbox = new SubjectClass();
  let fetches = 0;
  let bytes = 0;
  cacheActor(options)(inbox, realClock).subscribe((o) => {
    if ('fetch' in o) {
      fetches++;
      inbox.next({ fetched: { key: o.fetch.key, outcome: { kind: 'ok', data: VALUE } } });
    }
  });
  const reply = (answer: Answer): void => {
    bytes += Buffer.byteLength(answer);
  };
  return {
    get: (key) => inbox.next({ get: { request: { op: 'GET', key }, reply } }),
    fetches: () => fetches,
    bytes: () => bytes,
  };
}

/** Median of a list of numbers (the upper one of an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
