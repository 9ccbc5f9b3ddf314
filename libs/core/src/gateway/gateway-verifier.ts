import { timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { GatewayError } from './gateway-errors.js';
import type { GatewayErrorText } from './gateway-errors.js';
import { IRS_ALGORITHM, irsCanonicalQuery, irsSignature, irsSigningString } from './irs-signer.js';
import { zwddParamString, zwddSignature, zwddSigningString } from './zwdd-signer.js';
import { parseQueryPairs } from './gateway-errors.js';

/**
 * Verification of a signed request the province sends us (a 12345 work order pushed down, a 回访 rating), BEFORE
 * anything is written: key, clock skew, signature (pure), then the nonce (a replay is refused) against a shared store.
 *
 * Which scheme: 浙政钉 style (`X-Hmac-Auth-*`) is the default for pushes because it carries a nonce and signs the form
 * body's parameters; the IRS style signs neither a nonce nor the body, so for it the replay key is the signature itself
 * (an identical request inside the skew window is refused, one outside it fails the clock check).
 */
export type GatewayScheme = 'zwdd' | 'irs';

export interface InboundRequest {
  method: string;
  /** Path as received, without the query. */
  path: string;
  /** Raw query string (with or without '?'), '' when none. */
  query: string;
  /** Header names in any case (node lower-cases them). */
  headers: Record<string, string | string[] | undefined>;
  /** The raw body when it is application/x-www-form-urlencoded: the 浙政钉 scheme signs its parameters. */
  formBody?: string;
}

export interface VerifyOptions {
  now: Date;
  /** Allowed clock difference either way (90 s at the IRS gateway). */
  skewSeconds?: number;
  /** The secret of an access key, or undefined for an unknown key. */
  secretOf: (accessKey: string) => string | undefined;
}

export type VerifyResult =
  | { ok: true; scheme: GatewayScheme; accessKey: string; replayKey: string; replayTtlSeconds: number }
  | { ok: false; status: 401; error: GatewayErrorText };

export const DEFAULT_SKEW_SECONDS = 90;

const refuse = (error: GatewayErrorText): VerifyResult => ({ ok: false, status: 401, error });

function header(headers: InboundRequest['headers'], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === wanted) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

/** Constant-time comparison of two Base64 signatures (different lengths are simply unequal). */
export function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function withinSkew(sentAt: string | undefined, now: Date, skewSeconds: number): boolean {
  if (sentAt === undefined || sentAt.trim() === '') return false;
  const t = Date.parse(sentAt);
  return Number.isFinite(t) && Math.abs(now.getTime() - t) <= skewSeconds * 1000;
}

/** A replayed key must be remembered for as long as its timestamp could still pass the skew check: 2 × skew, plus a margin. */
const replayTtl = (skewSeconds: number) => 2 * skewSeconds + 30;

export function verifyIrsRequest(req: InboundRequest, opts: VerifyOptions): VerifyResult {
  const skew = opts.skewSeconds ?? DEFAULT_SKEW_SECONDS;
  const accessKey = header(req.headers, 'X-BG-HMAC-ACCESS-KEY');
  const secret = accessKey ? opts.secretOf(accessKey) : undefined;
  if (!accessKey || secret === undefined) return refuse(GatewayError.InvalidAccessKey);
  const date = header(req.headers, 'X-BG-DATE-TIME');
  if (!withinSkew(date, opts.now, skew)) return refuse(GatewayError.ClockSkewExceeded);
  const algorithm = header(req.headers, 'X-BG-HMAC-ALGORITHM');
  const given = header(req.headers, 'X-BG-HMAC-SIGNATURE');
  if (algorithm?.toLowerCase() !== IRS_ALGORITHM || !given) return refuse(GatewayError.InvalidSignature);
  const expected = irsSignature(secret, irsSigningString(req.method, req.path, irsCanonicalQuery(req.query), accessKey, date!));
  if (!sameSignature(given, expected)) return refuse(GatewayError.InvalidSignature);
  return { ok: true, scheme: 'irs', accessKey, replayKey: `irs:${accessKey}:${given}`, replayTtlSeconds: replayTtl(skew) };
}

export function verifyZwddRequest(req: InboundRequest, opts: VerifyOptions): VerifyResult {
  const skew = opts.skewSeconds ?? DEFAULT_SKEW_SECONDS;
  const accessKey = header(req.headers, 'apiKey');
  const secret = accessKey ? opts.secretOf(accessKey) : undefined;
  if (!accessKey || secret === undefined) return refuse(GatewayError.InvalidAccessKey);
  const timestamp = header(req.headers, 'X-Hmac-Auth-Timestamp');
  if (!withinSkew(timestamp, opts.now, skew)) return refuse(GatewayError.ClockSkewExceeded);
  const nonce = header(req.headers, 'X-Hmac-Auth-Nonce');
  const given = header(req.headers, 'X-Hmac-Auth-Signature');
  if (!nonce || !given) return refuse(GatewayError.InvalidSignature);
  const pairs = [...parseQueryPairs(req.query), ...(req.formBody ? parseQueryPairs(req.formBody) : [])];
  const params = zwddParamString(pairs);
  const expected = zwddSignature(secret, zwddSigningString(req.method, timestamp!, nonce, req.path, params));
  if (!sameSignature(given, expected)) return refuse(GatewayError.InvalidSignature);
  return { ok: true, scheme: 'zwdd', accessKey, replayKey: `zwdd:${accessKey}:${nonce}`, replayTtlSeconds: replayTtl(skew) };
}

export function verifyRequest(scheme: GatewayScheme, req: InboundRequest, opts: VerifyOptions): VerifyResult {
  return scheme === 'irs' ? verifyIrsRequest(req, opts) : verifyZwddRequest(req, opts);
}

/** Remembers used nonces; `claim` is true the first time a key is seen within its time to live. */
export interface NonceStore {
  claim(key: string, ttlSeconds: number): Promise<boolean>;
}

/** The shared store: `SET key 1 EX ttl NX` is atomic, so two API processes receiving the same replay let one through. */
export class RedisNonceStore implements NonceStore {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}
  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    const set = await this.redis.set(`${this.prefix}:gateway:nonce:${key}`, '1', 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX');
    return set === 'OK';
  }
}

/**
 * The whole check of an inbound push: signature first (so that an unsigned request cannot use up somebody's nonce),
 * then the nonce. A store error propagates (the caller answers 5xx and the province retries) rather than letting an
 * unchecked request through.
 */
export async function verifyInbound(scheme: GatewayScheme, req: InboundRequest, opts: VerifyOptions & { store: NonceStore }): Promise<VerifyResult> {
  const result = verifyRequest(scheme, req, opts);
  if (!result.ok) return result;
  if (!(await opts.store.claim(result.replayKey, result.replayTtlSeconds))) return refuse(GatewayError.NonceReused);
  return result;
}
