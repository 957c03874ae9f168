/**
 * One catalogue of errors with stable codes. Throw sites name a code; the message template and
 * HTTP status live here, so docs and API responses never drift from the code.
 */
export const ERROR_CATALOGUE = {
  CONFIG_INVALID: { status: 500, message: 'configuration is invalid' },
  STORE_UNAVAILABLE: { status: 503, message: 'the time-series store is unreachable' },
  STORE_REJECTED: { status: 500, message: 'the time-series store rejected the write' },
  QUERY_INVALID: { status: 400, message: 'the query is invalid' },
  MACHINE_NOT_FOUND: { status: 404, message: 'machine not found' },
  MACHINE_EXISTS: { status: 409, message: 'machine already exists' },
  PRINCIPAL_REVOKED: { status: 403, message: 'credentials revoked' },
  MESSAGE_INVALID: { status: 400, message: 'message does not follow the sawing data standard' },
  SPOOL_CORRUPT: { status: 500, message: 'ingest spool record is corrupt' },
  // HTTP API (services/api; the codes are documented in docs/api.md)
  REQUEST_INVALID: { status: 400, message: 'the request does not match its schema' },
  UNAUTHENTICATED: { status: 401, message: 'a valid API key is required' },
  FORBIDDEN: { status: 403, message: 'not permitted for this key' },
  NOT_FOUND: { status: 404, message: 'not found' },
  CONFLICT: { status: 409, message: 'conflicts with the current state' },
  IDEMPOTENCY_CONFLICT: { status: 409, message: 'idempotency key reused with a different request' },
  RATE_LIMITED: { status: 429, message: 'too many requests' },
  AUTH_THROTTLED: { status: 429, message: 'too many failed authentications; try again later' },
  UNAVAILABLE: { status: 503, message: 'a service this request needs is not running' },
  INTERNAL: { status: 500, message: 'internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class SawBrainError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: string | undefined;

  constructor(code: ErrorCode, details?: string, options?: { cause?: unknown }) {
    const entry = ERROR_CATALOGUE[code];
    super(details ? `${entry.message}: ${details}` : entry.message, options);
    this.name = 'SawBrainError';
    this.code = code;
    this.status = entry.status;
    this.details = details;
  }
}

export function isSawBrainError(err: unknown, code?: ErrorCode): err is SawBrainError {
  return err instanceof SawBrainError && (code === undefined || err.code === code);
}
