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
