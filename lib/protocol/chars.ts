// The character codes the protocol's byte-level readers compare against, named once.

/** `"` */
export const QUOTE = 0x22;
/** `\` */
export const BACKSLASH = 0x5c;
/** `/` */
export const SLASH = 0x2f;
/** `,` */
export const COMMA = 0x2c;
/** `{` */
export const OPEN_BRACE = 0x7b;
/** `}` */
export const CLOSE_BRACE = 0x7d;
/** `[` */
export const OPEN_BRACKET = 0x5b;
/** `]` */
export const CLOSE_BRACKET = 0x5d;
/** `0` */
export const ZERO = 0x30;
/** `9` */
export const NINE = 0x39;
