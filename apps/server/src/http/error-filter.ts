import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { ErrorBody, ErrorCode } from '@parley/shared';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { AppError, knownError } from './app-error.js';

const HTTP_STATUS_CODES: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

/** Answers every failure with the one error shape; anything unexpected is a logged 500 (INTERNAL). */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const req = host.switchToHttp().getRequest<Request>();
    const error = this.toAppError(exception, req);
    if (error.code === 'INTERNAL') this.log.error({ err: exception, reqId: req.id }, 'unhandled error');
    if (res.headersSent) return;
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    res.status(error.httpStatus).set(error.headers).json(body);
  }

  private toAppError(exception: unknown, req: Request): AppError {
    const known = knownError(exception);
    if (known) return known;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = HTTP_STATUS_CODES[status];
      if (status === 404) return new AppError('NOT_FOUND', `No route ${req.method} ${req.path}`);
      if (code) return new AppError(code, exception.message);
    }
    return new AppError('INTERNAL', 'Something went wrong on our side');
  }
}
