import { Catch, HttpException, Logger } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Open311Error, Problem } from '#core';
import { formatOfPath, sendOpen311Errors } from './open311.format.js';

/**
 * Every error of the Open311 routes as GeoReport v2 errors (`[{code, description}]`, XML `<errors><error>…`) with the
 * spec's HTTP codes: 404 for what does not exist, 403 for the api_key, 400 for anything else — a failure of ours
 * included (the spec's "general service error"; logged). Never a 500, never a problem+json here.
 */
@Catch()
export class Open311ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Open311');

  catch(thrown: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const format = formatOfPath(req.path);
    if (thrown instanceof Open311Error) {
      sendOpen311Errors(res, format, thrown.status, thrown.errors);
      return;
    }
    if (thrown instanceof HttpException) {
      const status = thrown.getStatus();
      const code = status === 404 || status === 403 ? status : status === 401 ? 403 : 400;
      const description = thrown instanceof Problem ? thrown.detail
        : status === 404 ? `${req.method} ${req.path} not found` : String(thrown.message);
      if (status >= 500) this.logger.error(thrown.stack ?? thrown.message);
      sendOpen311Errors(res, format, code, [{ code, description }]);
      return;
    }
    this.logger.error(thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown));
    sendOpen311Errors(res, format, 400, [{ code: 400, description: 'general service error: the request could not be processed; please report it' }]);
  }
}
