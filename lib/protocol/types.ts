// The protocol's shapes, requests and encoded answers, declared without code so that the modules that read and write them need not import each other.

/**
 * The id a JSON request may carry, a string or a finite number; its answer echoes it byte for byte
 * (PROTOCOL.md, "Framing"). Held as the parsed value when writing that back gives the text that
 * was sent (short integers, plain strings: the hot path), else as `IdText`.
 */
export type RequestId = string | number | IdText;

/** An id as the JSON text it was sent as (`9007199254740993`, `1.0`, `"\u0041"`), written back as it is. */
export interface IdText {
  readonly json: string;
}

/** The ops of protocol v1. A node answers the ones it serves and WRONG_METHOD for the rest. */
export type Request = GetRequest | { op: 'METRICS'; id?: RequestId } | PurgeRequest | MembershipRequest | PeerRequest;

/**
 * A GET. Two fields exist only in the JSON form, between our own nodes (docs/architecture.md, "Key
 * affinity and hot keys"): `fill`, the balancer's hint that the request was spilled off the key's
 * owner, the proxy at `host:port`, which a proxy that misses may fill the key from if it is one of
 * its peers; and `peer`, set by a proxy filling a key from its owner, which asks for the entry's
 * fresh time left as `"ttl"` in the answer.
 */
export type GetRequest = { op: 'GET'; key: string; id?: RequestId; fill?: string; peer?: true };

/** Balancer admin ops: change the proxy list at runtime. Need `token` when one is configured. */
export type MembershipOp = 'ADD_PROXY' | 'REMOVE_PROXY' | 'DRAIN_PROXY';
export type MembershipRequest = { op: MembershipOp; address: string; id?: RequestId; token?: string };

/** Proxy admin op: trust `address` (`host:port`) as a peer to fill keys from. Needs `token` when one is configured. */
export type PeerRequest = { op: 'ADD_PEER'; address: string; id?: RequestId; token?: string };

/** Removes one key, or every key starting with `prefix` ('' = all). Needs `token` when one is configured. */
export type PurgeRequest = { op: 'PURGE'; id?: RequestId; token?: string } & ({ key: string } | { prefix: string });

export type Op = Request['op'];

/** A line that could not become a request: the encoded answer, and the id to echo if one was readable. */
export interface Rejection {
  error: Encoded;
  id?: RequestId;
}

export type Parsed = Request | Rejection;

/** The encoded text of one response object, e.g. `{"status":"OK","data":{...}}`, without the newline. */
export type Encoded = string;

/** An encoded response as text, or as its UTF-8 bytes (what a cache holds: written with no encoding). */
export type Answer = Encoded | Buffer;
