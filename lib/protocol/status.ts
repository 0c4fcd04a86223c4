// The one table of response statuses (PROTOCOL.md, "Responses").
export const Status = {
  OK: 'OK',
  NOT_FOUND: 'NOT_FOUND',
  WRONG_METHOD: 'WRONG_METHOD',
  BAD_REQUEST: 'BAD_REQUEST',
  ORIGIN_FAILURE: 'ORIGIN_FAILURE',
  PROXY_UNREACHABLE: 'PROXY_UNREACHABLE',
  PROXY_ERROR: 'PROXY_ERROR',
  CLIENT_CONNECTION_ERROR: 'CLIENT_CONNECTION_ERROR',
  UNAUTHORIZED: 'UNAUTHORIZED',
} as const;

export type Status = (typeof Status)[keyof typeof Status];
