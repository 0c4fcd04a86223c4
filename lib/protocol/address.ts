// `host:port`, the one spelling of a node's address in flags, admin ops and the client.

export interface Address {
  host: string;
  port: number;
}

/** The address, or undefined unless it is `host:port` with a port of 1 to 65535 in digits. */
export function readAddress(text: string): Address | undefined {
  const colon = text.lastIndexOf(':');
  const digits = text.slice(colon + 1);
  const port = Number(digits);
  if (colon <= 0 || !/^\d+$/.test(digits) || port < 1 || port > 65535) return undefined;
  return { host: text.slice(0, colon), port };
}

/** As readAddress, throwing a message fit for a command line. */
export function parseAddress(text: string): Address {
  const address = readAddress(text);
  if (address === undefined) throw new Error(`"${text}" is not host:port`);
  return address;
}

// Names that reach this machine however it listens: a node listening on one of them is reached by any.
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/;
const WILDCARD = new Set(['0.0.0.0', '::', '[::]', '']);

/**
 * Whether connecting to `target` may reach a node listening on `listen`: the same port, and the
 * same host, or a loopback name for a node on loopback or on every address. Catches a proxy given
 * its own port as its origin, which would ask itself for every miss until its origin timeout.
 */
export function reachesItself(listen: Address, target: Address): boolean {
  if (listen.port !== target.port) return false;
  if (listen.host === target.host) return true;
  return LOOPBACK.test(target.host) && (LOOPBACK.test(listen.host) || WILDCARD.has(listen.host));
}
