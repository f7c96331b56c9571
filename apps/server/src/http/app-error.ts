import { ERROR_STATUS, type ErrorCode, type RetryAfterDetails } from '@parley/shared';

/** A failure the client is told about: a stable code, a human message, optional details. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  get httpStatus(): number {
    return ERROR_STATUS[this.code];
  }
}

/** A refusal to try again later: `details` (RetryAfterDetails) and the Retry-After header say when. */
export function retryLater(code: 'RATE_LIMITED' | 'SERVER_BUSY', retryAfterSeconds: number, message: string): AppError {
  const details: RetryAfterDetails = { retryAfterSeconds };
  return new AppError(code, message, details, { 'Retry-After': String(retryAfterSeconds) });
}

/** A server at capacity asks for a second's pause: load passes quickly, and clients add jitter. */
export const serverBusy = (): AppError => retryLater('SERVER_BUSY', 1, 'The server is busy; try again in a moment');

/**
 * The error a client is told about, if `error` is one: an AppError, or pg-pool's answer when no
 * database connection frees up in time. Admission control keeps sends from getting there; if other
 * work still does, that is load, not a fault: SERVER_BUSY, not INTERNAL.
 */
export function knownError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error instanceof Error && error.message.includes('timeout exceeded when trying to connect')) return serverBusy();
  return undefined;
}
