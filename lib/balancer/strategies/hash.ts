// String and integer hashing for routing: FNV-1a for keys, murmur3's finalizer to mix in a proxy.

/** FNV-1a over the key's UTF-16 code units: fast, and the same in every balancer process. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's fmix32: spreads every input bit over the output, so key and proxy hashes combine well. */
export function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform draw in (0, 1) for one key on one proxy. */
export function unit(keyHash: number, proxyHash: number): number {
  return (mix(keyHash ^ proxyHash) + 0.5) / 4294967296;
}
