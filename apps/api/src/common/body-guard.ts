import { isUtf8 } from 'node:buffer';
import { json } from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Problem } from '#core';

/**
 * The first line of defence for every route, present and future, before any handler or validator runs:
 * - a JSON body is at most JSON_BODY_LIMIT bytes, valid UTF-8, and nested at most MAX_DEPTH levels — checked on the raw
 *   bytes in one linear scan, before parsing turns it into work;
 * - a body of another media type is 415 (multipart only where an upload is expected: multer answers the rest);
 * - in the parsed body and the query string, keys that could reach an object's prototype (`__proto__`, `constructor`,
 *   `prototype`, `toString`, …) are refused, not silently dropped, and every key and string must be well-formed Unicode without NUL
 *   (PostgreSQL text cannot store NUL; a lone surrogate cannot be encoded as UTF-8).
 * Each refusal is a 400 (or 413/415) problem naming the field.
 */
export const JSON_BODY_LIMIT = '1mb';
export const MAX_DEPTH = 32;
/**
 * Keys that could reach or shadow an object's prototype: `__proto__`, `constructor`, `prototype`, and every other
 * member of Object.prototype (`toString`, `hasOwnProperty`, `valueOf`, …), which a lookup in a plain object finds even
 * when it was never declared. None of them is a field of this API.
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype', ...Object.getOwnPropertyNames(Object.prototype)]);

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The deepest nesting of objects and arrays in raw JSON bytes (strings skipped); stops counting past `limit`. */
export function jsonDepth(buf: Uint8Array, limit = MAX_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth--;
    }
  }
  return max;
}

/** Why a piece of text is refused, or null. */
export function textProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain NUL (\\u0000) characters';
  if (!s.isWellFormed()) return 'must be well-formed Unicode (a lone surrogate was sent)';
  return null;
}

const fieldPath = (path: string, key: string | number) =>
  (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);

/**
 * The first problem in a parsed value (keys and strings), as [field, message], or null. `root` names the top level
 * (e.g. 'body' or 'query') when the problem is the value itself.
 */
export function findInputProblem(value: unknown, path = '', depth = 0): [string, string] | null {
  if (typeof value === 'string') {
    const p = textProblem(value);
    return p ? [path, p] : null;
  }
  if (value === null || typeof value !== 'object') return null;
  if (depth > MAX_DEPTH) return [path, `is nested deeper than ${MAX_DEPTH} levels`];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findInputProblem(value[i], fieldPath(path, i), depth + 1);
      if (hit) return hit;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    const here = fieldPath(path, key);
    if (FORBIDDEN_KEYS.has(key)) return [here, `the key "${key}" is not allowed`];
    const kp = textProblem(key);
    if (kp) return [here, `key ${kp}`];
    const hit = findInputProblem((value as Record<string, unknown>)[key], here, depth + 1);
    if (hit) return hit;
  }
  return null;
}

/** No operation takes more than a dozen parameters; the query parser would silently drop pairs past its 1,000th. */
export const MAX_QUERY_PAIRS = 64;

/**
 * The first problem of a raw query string, as [field, message]: more than MAX_QUERY_PAIRS pairs (empty ones included,
 * so nothing hides past the parser's limit), or a name or value that is not valid percent-encoded UTF-8 (the parser
 * would quietly turn it into replacement characters). null when there is none.
 */
export function queryStringProblem(url: string): [string, string] | null {
  const q = url.indexOf('?');
  if (q < 0) return null;
  const parts = url.slice(q + 1).split('&');
  if (parts.length > MAX_QUERY_PAIRS) return ['query', `has more than ${MAX_QUERY_PAIRS} parameters`];
  const decode = (s: string) => { try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch { return null; } };
  for (const part of parts) {
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    if (name === null) return ['query', 'a parameter name is not valid percent-encoded UTF-8'];
    if (eq >= 0 && decode(part.slice(eq + 1)) === null) return [name || 'query', 'is not valid percent-encoded UTF-8'];
  }
  return null;
}

const refuse = (field: string, message: string) => Problem.badRequest(`${field}: ${message}`, [{ field, message }]);

const hasBody = (req: Request) =>
  Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;

/** Express middleware, in order: media type, JSON parsing with the raw checks, then the parsed-value checks. */
export function bodyGuard(): RequestHandler[] {
  const mediaType: RequestHandler = (req, _res, next) => {
    // RFC 8259 §8.1: JSON between systems is UTF-8; body-parser would decode a declared UTF-16 body
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (hasBody(req) && charset !== undefined && charset !== 'utf-8' && charset !== 'utf8' && req.is(['application/json', 'application/*+json'])) {
      next(new Problem(415, 'Unsupported Media Type', 'a JSON body must be UTF-8',
        [{ field: 'body', message: `charset ${charset} is not accepted: JSON is UTF-8` }], 'urn:grid141:problem:unsupported-media-type'));
      return;
    }
    if (hasBody(req) && !req.is(['application/json', 'application/*+json', 'multipart/form-data'])) {
      next(new Problem(415, 'Unsupported Media Type', 'a request body must be application/json (or multipart/form-data for an upload)',
        [{ field: 'body', message: `content type ${req.headers['content-type'] ?? '(none)'} is not accepted` }],
        'urn:grid141:problem:unsupported-media-type'));
      return;
    }
    next();
  };
  const parse = json({
    limit: JSON_BODY_LIMIT,
    type: ['application/json', 'application/*+json'],
    // JSON.parse would accept a top-level string or number; strict refuses anything but an object or array
    strict: true,
    verify: (_req, _res, buf) => {
      if (!isUtf8(buf)) throw refuse('body', 'is not valid UTF-8');
      if (jsonDepth(buf) > MAX_DEPTH) throw refuse('body', `is nested deeper than ${MAX_DEPTH} levels`);
    },
  });
  const values: RequestHandler = (req: Request, _res: Response, next: NextFunction) => {
    const rawQuery = queryStringProblem(req.originalUrl);
    if (rawQuery !== null) { next(refuse(rawQuery[0], rawQuery[1])); return; }
    // every list parameter of this API is one comma-separated value (OpenAPI style form, explode false)
    const repeated = Object.entries(req.query).find(([, v]) => Array.isArray(v));
    if (repeated) { next(refuse(repeated[0], 'must be given once (a list is one comma-separated value)')); return; }
    const inQuery = findInputProblem(req.query, '');
    if (inQuery) { next(refuse(inQuery[0] || 'query', inQuery[1])); return; }
    if (req.body !== undefined) {
      const inBody = findInputProblem(req.body, '');
      if (inBody) { next(refuse(inBody[0] || 'body', inBody[1])); return; }
    }
    next();
  };
  return [mediaType, parse, values];
}
