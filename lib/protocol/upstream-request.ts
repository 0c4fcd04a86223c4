// A request as a node writes it to the peer behind it, in its text and JSON wire forms.
import { withId } from './response.js';

/**
 * One request in both its wire forms, each a line without the newline; the link sends whichever
 * form the connection it takes can carry. Forms are strings made from strings: nothing is
 * serialized from an object on the hot path.
 */
export interface LinkRequest {
  /** The text form (`GET article/1`), which every peer reads. Absent for ops that exist only as JSON. */
  readonly text?: string;
  /** The JSON form, an object without an id (`{"op":"GET","key":"article/1"}`); the link adds its own. */
  readonly json: string;
  /** The JSON form with `"id"` as its last field, made in one go; without it the link adds the id to `json`. */
  jsonWithId?(id: number): string;
}

/**
 * `GET <key>`. Each form is made only when a connection asks for it: a connection that carries
 * ids sends only the JSON form with its id, built in one string. `readGetLine` (get-line.ts) reads
 * every form back.
 */
export function getRequest(key: string): LinkRequest {
  return new GetLine(key);
}

class GetLine implements LinkRequest {
  constructor(private readonly key: string) {}

  get text(): string {
    return `GET ${this.key}`;
  }

  get json(): string {
    return plain(this.key) ? `{"op":"GET","key":"${this.key}"}` : `{"op":"GET","key":${JSON.stringify(this.key)}}`;
  }

  jsonWithId(id: number): string {
    return plain(this.key) ? `{"op":"GET","key":"${this.key}","id":${id}}` : `{"op":"GET","key":${JSON.stringify(this.key)},"id":${id}}`;
  }
}

/**
 * A GET the balancer spilled off the key's owner (docs/architecture.md, "Key affinity and hot
 * keys"): its JSON form names the owner, `"fill":"<host:port>"`; its text form, what a proxy that
 * does not echo ids (maybe not ours) is sent, is the plain `GET <key>` and carries no hint.
 */
export function fillRequest(key: string, owner: string): LinkRequest {
  return new GetWith(key, `,"fill":${JSON.stringify(owner)}`, true);
}

/**
 * A proxy's GET to the owner of a key it fills: `"peer":true` asks for the entry's fresh time left
 * as `"ttl"`. JSON only, so the owner always sees the field: on a connection that does not carry
 * ids yet, the link sends it as JSON without an id.
 */
export function peerRequest(key: string): LinkRequest {
  return new GetWith(key, ',"peer":true', false);
}

/** A GET with more JSON fields, `fields` (`,"name":value...`) written after the key; the link appends the id. */
class GetWith implements LinkRequest {
  readonly json: string;
  readonly text?: string;

  constructor(key: string, fields: string, withText: boolean) {
    this.json = `{"op":"GET","key":${JSON.stringify(key)}${fields}}`;
    if (withText) this.text = `GET ${key}`;
  }
}

/** The request's JSON form with `"id":<id>` as its last field. */
export function jsonWithId(request: LinkRequest, id: number): string {
  return request.jsonWithId?.(id) ?? withId(request.json, id);
}

/**
 * True when JSON.stringify would write `text` as it is between quotes: no quote, backslash,
 * control character or surrogate. A loop, not a regular expression: this runs for every request.
 */
function plain(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}
