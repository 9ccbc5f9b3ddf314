import { isUtf8 } from 'node:buffer';
import { json, urlencoded } from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { findInputProblem, queryStringProblem } from '../common/body-guard.js';
import { formatOfPath, sendOpen311Errors } from './open311.format.js';

/** The paths of the Open311 door: they take GeoReport's form bodies and answer GeoReport errors. */
export const isOpen311Path = (req: Request): boolean => /^\/open311(?:[/?.]|$)/.test(req.originalUrl);

const BODY_LIMIT = '64kb';
const MAX_FIELDS = 64;

/**
 * Lets the given middleware (the API's body guard: JSON bodies only, problem+json errors) skip the Open311 paths, which
 * open311Http() guards instead.
 */
export function exceptOpen311(handlers: RequestHandler[]): RequestHandler[] {
  return handlers.map((h) => (req: Request, res: Response, next: NextFunction) => (isOpen311Path(req) ? next() : h(req, res, next)));
}

/**
 * The first line of defence of the Open311 paths, like the body guard's for the rest of the API but in GeoReport terms:
 * the path decodes as UTF-8; the query has at most 64 well-formed parameters, each given once (lists are comma
 * delimited); a POST body is `application/x-www-form-urlencoded` (the spec's) or a JSON object of plain values, UTF-8,
 * at most 64 kB and 64 fields, without prototype keys, NUL or lone surrogates. Each refusal is a GeoReport error
 * answer (400) in the format the path asks for.
 */
export function open311Http(): RequestHandler[] {
  const refuse = (req: Request, res: Response, description: string) => sendOpen311Errors(res, formatOfPath(req.path), 400, [{ code: 400, description }]);
  const verify = (_req: unknown, _res: unknown, buf: Buffer) => {
    if (!isUtf8(buf)) throw Object.assign(new Error('the request body is not valid UTF-8'), { status: 400, expose: true });
  };
  const form = urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: MAX_FIELDS, verify });
  const body = json({ limit: BODY_LIMIT, strict: true, verify });
  const guard: RequestHandler = (req, res, next) => {
    if (!isOpen311Path(req)) { next(); return; }
    try { decodeURIComponent(req.path); } catch { refuse(req, res, 'the URL path is not valid percent-encoded UTF-8'); return; }
    const rawQuery = queryStringProblem(req.originalUrl);
    if (rawQuery) { refuse(req, res, `${rawQuery[0]} ${rawQuery[1]}`); return; }
    const repeated = Object.entries(req.query).find(([, v]) => typeof v !== 'string');
    if (repeated) { refuse(req, res, `${repeated[0]} must be given once (a list is one comma-delimited value)`); return; }
    const inQuery = findInputProblem(req.query, '');
    if (inQuery) { refuse(req, res, `${inQuery[0] || 'query'} ${inQuery[1]}`); return; }
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody) { next(); return; }
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') { refuse(req, res, `charset ${charset.slice(0, 40)} is not accepted: the body must be UTF-8`); return; }
    const parser = req.is('application/x-www-form-urlencoded') ? form : req.is(['application/json', 'application/*+json']) ? body : null;
    if (!parser) {
      refuse(req, res, `content type ${(req.headers['content-type'] ?? '(none)').slice(0, 80)} is not accepted: send application/x-www-form-urlencoded`);
      return;
    }
    parser(req, res, (err?: unknown) => {
      if (err) {
        const e = err as { type?: string; message?: string };
        refuse(req, res, e.type === 'entity.too.large' ? `the request body is larger than ${BODY_LIMIT}`
          : e.type === 'parameters.too.many' ? `the request body has more than ${MAX_FIELDS} fields`
            : e.type === 'entity.parse.failed' ? 'the request body is not valid JSON' : `the request body was refused: ${String(e.message ?? err).slice(0, 200)}`);
        return;
      }
      const fields: unknown = req.body;
      if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) { refuse(req, res, 'the request body must be a set of fields'); return; }
      const nested = Object.entries(fields as Record<string, unknown>).find(([, v]) => v !== null && typeof v === 'object');
      if (nested) { refuse(req, res, `${nested[0]} must be given once, as a plain value`); return; }
      const hit = findInputProblem(fields, '');
      if (hit) { refuse(req, res, `${hit[0] || 'body'} ${hit[1]}`); return; }
      next();
    });
  };
  return [guard];
}
