import { API_PREFIX, LIMITS, ROUTES } from '@parley/shared';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { AppError } from './app-error.js';

const parser = (limit: number) => express.json({ limit, strict: true, type: 'application/json' });
const defaultParser = parser(LIMITS.jsonBodyBytes);

/** Routes with a larger body limit, by "METHOD /full/path" (only parameterless paths need it). */
const largeBodyParsers = new Map<string, RequestHandler>(
  Object.values(ROUTES)
    .filter((route) => 'maxBodyBytes' in route)
    .map((route) => [`${route.method} ${API_PREFIX}${route.path}`, parser(route.maxBodyBytes)]),
);

/** Routes whose body is a byte stream for the handler, as "METHOD" and a path pattern. */
const binaryBodyRoutes = Object.values(ROUTES)
  .filter((route) => 'binaryBody' in route)
  .map((route) => ({
    method: route.method,
    path: new RegExp(`^${API_PREFIX}${route.path.replace(/:\w+/g, '[^/]+')}$`),
  }));

/** body-parser failures, which are the client's fault, as our error codes. */
function bodyParserError(error: { type?: string; message?: string; limit?: number }): AppError {
  switch (error.type) {
    case 'entity.parse.failed':
      return new AppError('INVALID_JSON', 'The body is not valid JSON');
    case 'entity.too.large':
      return new AppError('PAYLOAD_TOO_LARGE', `The body is larger than ${error.limit} bytes`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', error.message ?? 'Unsupported encoding');
    default:
      return new AppError('VALIDATION_FAILED', 'The body could not be read');
  }
}

/**
 * Parses JSON bodies (size-limited per route). A request that carries a body must say it is
 * JSON — or, on a binary route, `application/octet-stream`, left unread for its handler;
 * anything else is a 415, not a guess.
 */
export function jsonBody(req: Request, res: Response, next: NextFunction): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (binaryBodyRoutes.some((route) => route.method === req.method && route.path.test(req.path))) {
    next(
      hasBody && !req.is('application/octet-stream')
        ? new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/octet-stream')
        : undefined,
    );
    return;
  }
  if (hasBody && !req.is('application/json')) {
    next(new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json'));
    return;
  }
  const parse = largeBodyParsers.get(`${req.method} ${req.path}`) ?? defaultParser;
  parse(req, res, (error?: unknown) => next(error ? bodyParserError(error as { type?: string }) : undefined));
}
