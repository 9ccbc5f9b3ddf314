import { Catch, HttpException, Injectable, Logger } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Request, Response } from 'express';
import { AuditService, Problem } from '#core';
import type { Actor } from '#core';

/**
 * Every error leaves as RFC 9457 application/problem+json; unexpected ones are logged, not leaked; permission
 * denials (403) are written to the audit log.
 */
@Injectable()
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Problem');

  constructor(private readonly audit: AuditService) {}

  catch(thrown: unknown, host: ArgumentsHost): void {
    // Nest wraps errors raised in Express middleware (body-parser's verify, the body guard) in an HttpException
    const exception = thrown instanceof HttpException && !(thrown instanceof Problem) && thrown.cause instanceof Problem ? thrown.cause : thrown;
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    let body: Record<string, unknown>;
    let status: number;
    if (exception instanceof Problem) {
      status = exception.getStatus();
      body = { type: exception.problemType, title: exception.title, status, detail: exception.detail,
        ...(exception.errors.length ? { errors: exception.errors } : {}) };
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      const r = exception.getResponse();
      const message = typeof r === 'string' ? r : (r as { message?: unknown }).message;
      body = { type: typeOf(status), title: titleOf(status), status,
        detail: Array.isArray(message) ? message.join('; ') : String(message ?? exception.message) };
      // errors raised below the controllers (body-parser, multer, the router's decoding) arrive wrapped: name their field
      const cause = exception.cause;
      const multer = multerFieldOf(cause);
      if (multer !== null) body.errors = [{ field: multer, message: String(body.detail) }];
      else if (status === 413) body.detail = `request body is too large: ${body.detail}`;
      else if (status === 400 && isJsonSyntaxError(cause)) {
        body.detail = `request body is not valid JSON: ${body.detail}`;
        body.errors = [{ field: 'body', message: 'is not valid JSON' }];
      } else if (status === 400 && cause instanceof URIError) body.errors = [{ field: 'path', message: 'is not valid percent-encoded UTF-8' }];
    } else if (isClientError(exception)) {
      // errors from Express and its parsers (body-parser, the router's param decoding) that carry a 4xx status
      status = exception.status;
      const parse = exception.type === 'entity.parse.failed';
      body = { type: 'urn:grid141:problem:invalid-input', title: titleOf(status), status,
        detail: status === 413 ? 'request body is too large' : parse ? `request body is not valid JSON: ${exception.message}` : exception.message };
    } else if (isPgInputError(exception)) {
      // a value PostgreSQL refused (class 22 data exception, 23 integrity): a request the validators let through.
      // It is the caller's input, so a 4xx — and logged, because the validator that should have caught it is missing.
      const pg = exception;
      status = pg.code === '23505' ? 409 : pg.code.startsWith('23') ? 422 : 400;
      this.logger.warn(`input refused by PostgreSQL (${pg.code}) on ${req.method} ${req.originalUrl}: ${pg.message}`);
      const field = pg.column ?? 'body';
      const message = pg.code === '23505' ? 'already exists' : pg.code.startsWith('23') ? 'refers to something that does not exist or is not allowed'
        : 'is not a valid value';
      body = { type: 'urn:grid141:problem:invalid-input', title: titleOf(status), status, detail: `${field}: ${message}`,
        errors: [{ field, message }] };
    } else {
      status = 500;
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
      body = { type: 'about:blank', title: 'Internal Server Error', status, detail: 'an unexpected error occurred' };
    }
    body.instance = req.originalUrl;
    const send = () => { res.status(status).type('application/problem+json').send(JSON.stringify(body)); };
    if (status === 403) {
      // recorded before the answer leaves, so the audit trail is complete when the client sees the denial
      const actor = (req as Request & { actor?: Actor }).actor;
      void this.audit.record({ actorId: actor?.id ?? null, username: actor?.username ?? null, action: `${req.method} ${req.route?.path ?? req.path}`,
        target: req.originalUrl, outcome: 'denied', ip: req.ip ?? null, detail: { detail: body.detail, type: body.type } })
        .catch((err: Error) => this.logger.warn(`audit of a denial failed: ${err.message}`))
        .finally(send);
      return;
    }
    send();
  }
}

/** The problem type of an HttpException that is not a Problem (Nest's own, or a wrapped Express error). */
function typeOf(status: number): string {
  switch (status) {
    case 401: return 'urn:grid141:problem:unauthorized';
    case 403: return 'urn:grid141:problem:forbidden';
    case 404: return 'urn:grid141:problem:not-found';
    default: return status >= 400 && status < 500 ? 'urn:grid141:problem:invalid-input' : 'about:blank';
  }
}

/** The RFC 9110 reason phrase (Node still says 'Payload Too Large' for 413). */
function titleOf(status: number): string {
  return status === 413 ? 'Content Too Large' : status === 422 ? 'Unprocessable Content' : STATUS_CODES[status] ?? 'Error';
}

function isJsonSyntaxError(cause: unknown): boolean {
  return cause instanceof SyntaxError && (cause as { type?: unknown }).type === 'entity.parse.failed';
}

/** The form field a multer/busboy error is about ('file' when it names none), or null when it is not one. */
function multerFieldOf(cause: unknown): string | null {
  if (typeof cause !== 'object' || cause === null) return null;
  const { name, code, field } = cause as { name?: unknown; code?: unknown; field?: unknown };
  if (name !== 'MulterError' && !(typeof code === 'string' && code.startsWith('LIMIT_'))) return null;
  return typeof field === 'string' && field !== '' ? field : 'file';
}

function isClientError(e: unknown): e is { status: number; message: string; type?: string } {
  if (typeof e !== 'object' || e === null) return false;
  const status = (e as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500 && (e as { expose?: unknown }).expose !== false;
}

function isPgInputError(e: unknown): e is { code: string; message: string; column?: string } {
  if (typeof e !== 'object' || e === null) return false;
  const code = (e as { code?: unknown }).code;
  // DatabaseError from pg (TypeORM wraps it as QueryFailedError with the same fields)
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code) && 'severity' in e;
}
