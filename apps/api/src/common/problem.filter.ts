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

  catch(exception: unknown, host: ArgumentsHost): void {
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
      body = { type: 'about:blank', title: titleOf(status), status,
        detail: Array.isArray(message) ? message.join('; ') : String(message ?? exception.message) };
      if (status === 413) {
        // multer's file size limit names the upload; body-parser's limit is about the whole JSON body
        if (req.is('multipart/form-data')) body.errors = [{ field: 'file', message: 'too large' }];
        else body.detail = `request body is too large: ${body.detail}`;
      }
      if (status === 400 && isJsonSyntaxError(exception.cause)) body.detail = `request body is not valid JSON: ${body.detail}`;
    } else if (isBodyParserError(exception)) {
      status = exception.status;
      body = { type: 'about:blank', title: status === 413 ? 'Content Too Large' : 'Bad Request', status,
        detail: status === 413 ? 'request body is too large' : `request body is not valid JSON: ${exception.message}` };
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

/** The RFC 9110 reason phrase (Node still says 'Payload Too Large' for 413). */
function titleOf(status: number): string {
  return status === 413 ? 'Content Too Large' : status === 422 ? 'Unprocessable Content' : STATUS_CODES[status] ?? 'Error';
}

function isJsonSyntaxError(cause: unknown): boolean {
  return cause instanceof SyntaxError && (cause as { type?: unknown }).type === 'entity.parse.failed';
}

function isBodyParserError(e: unknown): e is { status: number; message: string; type: string } {
  return typeof e === 'object' && e !== null && 'type' in e && 'status' in e && typeof (e as { status: unknown }).status === 'number';
}
