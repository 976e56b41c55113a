/**
 * ErrorFilter: every error leaves the API as
 * `{ error: { code, message, details } }` with the right status; unexpected
 * errors are logged and answered with a generic 500, never a stack trace.
 */
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AmbiguousError, ConflictError, NotFoundError } from '../../store/store.module.js';
import { NodeUnavailableError, LogStreamError } from '../../dispatcher/dispatcher.module.js';
import { InvalidImageRefError } from '#libs/common';
import { FieldValidationError } from './validation.js';
import { inputErrorOf, unavailableErrorOf } from './prisma-errors.js';
import { BODY_LIMIT } from './body-parsing.js';

const CODES: Record<number, string> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  503: 'UNAVAILABLE',
};

@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('api');

  catch(err: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw err;
    const res = host.switchToHttp().getResponse<Response>();
    const req = host.switchToHttp().getRequest<Request>();
    let status = 500;
    let message = 'internal error';
    let details: unknown[] = [];
    const input = inputErrorOf(err);
    const unavailable = unavailableErrorOf(err);
    // Body-parser errors arrive as they are or wrapped in an HttpException with them as the cause.
    const parserError = (err as { type?: string }).type ?? (err instanceof HttpException ? (err.cause as { type?: string } | undefined)?.type : undefined);
    const parseFailed = parserError === 'entity.parse.failed';
    if (parseFailed || (err instanceof HttpException && err.getStatus() === 400 && err.cause instanceof SyntaxError)) [status, message] = [400, 'request body is not valid JSON'];
    else if (parserError === 'entity.too.large') [status, message] = [413, `request body is larger than ${BODY_LIMIT}`];
    else if (unavailable) {
      [status, message] = [503, unavailable];
      res.setHeader?.('Retry-After', '1');
      this.log.warn(`${req.method} ${req.path}: 503 (${(err as Error).name} ${(err as { code?: string }).code ?? ''})`);
    } else if (input) {
      [status, message] = [input.status, input.message];
      this.log.warn(`${req.method} ${req.path}: ${status} from the store (${(err as Error).name} ${(err as { code?: string }).code ?? ''})`);
    } else if (err instanceof FieldValidationError) [status, message, details] = [400, err.message, err.details];
    else if (err instanceof NotFoundError || err instanceof LogStreamError) [status, message] = [404, err.message];
    else if (err instanceof AmbiguousError) [status, message] = [400, err.message];
    else if (err instanceof ConflictError) [status, message] = [409, err.message];
    else if (err instanceof InvalidImageRefError) [status, message, details] = [400, `image: ${err.message}`, [{ field: 'image', message: err.message }]];
    else if (err instanceof NodeUnavailableError) [status, message] = [503, err.message];
    else if (err instanceof HttpException) {
      status = err.getStatus();
      const r = err.getResponse();
      message = typeof r === 'string' ? r : ((r as { message?: string | string[] }).message?.toString() ?? err.message);
      if (status === 404 && /^Cannot /.test(message)) message = `no route ${req.method} ${req.path}`;
    } else if (err instanceof Error && Number.isInteger((err as { status?: number }).status)) {
      // Errors that carry their own HTTP status (e.g. registry unreachable: 503).
      status = (err as unknown as { status: number }).status;
      message = status >= 500 && status !== 503 ? 'internal error' : err.message;
      if (message === 'internal error') this.log.error(`${req.method} ${req.path}: ${err.stack ?? err.message}`);
    } else this.log.error(`${req.method} ${req.url}: ${(err as Error)?.stack ?? String(err)}`);
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).json({ error: { code: CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST'), message, details } });
  }
}
