import { isUtf8 } from 'node:buffer';
import { text } from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** The paths of the provincial push door: signed form bodies, kept raw (the 浙政钉 scheme signs the form's parameters). */
export const isProvincePath = (req: Request): boolean => /^\/api\/v1\/province(?:[/?]|$)/.test(req.originalUrl);

const BODY_LIMIT = '64kb';

/** Lets the given middleware (the API's JSON body guard) skip the province paths, which provinceHttp() reads instead. */
export function exceptProvince(handlers: RequestHandler[]): RequestHandler[] {
  return handlers.map((h) => (req: Request, res: Response, next: NextFunction) => (isProvincePath(req) ? next() : h(req, res, next)));
}

/**
 * The body of a province push as the raw string it was signed as (`req.body`, a string), when it is
 * `application/x-www-form-urlencoded`, UTF-8 and at most 64 kB. Any other body is left unread: the controller verifies
 * the signature first, then refuses it (415).
 */
export function provinceHttp(): RequestHandler[] {
  const parse = text({ type: 'application/x-www-form-urlencoded', limit: BODY_LIMIT, defaultCharset: 'utf-8',
    verify: (_req, _res, buf) => {
      if (!isUtf8(buf)) throw Object.assign(new Error('the request body is not valid UTF-8'), { status: 400, expose: true });
    } });
  return [(req, res, next) => (isProvincePath(req) ? parse(req, res, next) : next())];
}
