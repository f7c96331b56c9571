import { LIMITS } from '@parley/shared';
import express, { type NextFunction, type Request, type Response } from 'express';
import { AppError } from './app-error.js';

const parseJson = express.json({ limit: LIMITS.jsonBodyBytes, strict: true, type: 'application/json' });

/** body-parser failures, which are the client's fault, as our error codes. */
function bodyParserError(error: { type?: string; message?: string }): AppError {
  switch (error.type) {
    case 'entity.parse.failed':
      return new AppError('INVALID_JSON', 'The body is not valid JSON');
    case 'entity.too.large':
      return new AppError('PAYLOAD_TOO_LARGE', `The body is larger than ${LIMITS.jsonBodyBytes} bytes`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', error.message ?? 'Unsupported encoding');
    default:
      return new AppError('VALIDATION_FAILED', 'The body could not be read');
  }
}

/**
 * Parses JSON bodies (size-limited). A request that carries a body must say it is JSON;
 * anything else is a 415, not a guess.
 */
export function jsonBody(req: Request, res: Response, next: NextFunction): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is('application/json')) {
    next(new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json'));
    return;
  }
  parseJson(req, res, (error?: unknown) => next(error ? bodyParserError(error as { type?: string }) : undefined));
}
