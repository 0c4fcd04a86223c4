// The protocol's size limits, one definition for every parser that enforces them.

/** A key's longest UTF-8 encoding, a leading `/` not counted. */
export const MAX_KEY_BYTES = 1024;
