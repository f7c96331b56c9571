import type { ClientError, ClientErrorCode, ErrorCode } from '@parley/shared';

/** A failure the UI can act on: a stable code (the server's, or the core's own) and a message. */
export class CoreError extends Error implements ClientError {
  constructor(
    readonly code: ClientErrorCode | ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CoreError';
  }
}
