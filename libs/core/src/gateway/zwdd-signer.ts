import { createHmac, randomInt } from 'node:crypto';
import { paramPairs, parseQueryPairs, sortPairs } from './gateway-errors.js';
import type { Params } from './gateway-errors.js';

/**
 * 浙政钉 (Zhejiang government DingTalk) open-platform signing (DOMAIN 4.2), headers on every call:
 *
 *   X-Hmac-Auth-Timestamp  2026-11-23T10:00:00.000+08:00 (Beijing time, milliseconds)
 *   X-Hmac-Auth-Version    1.0
 *   X-Hmac-Auth-Nonce      timestamp + random (13-digit epoch ms + 4 random digits here)
 *   apiKey                 the AK
 *   X-Hmac-Auth-Signature  Base64( HMAC-SHA256(SK, METHOD\nTIMESTAMP\nNONCE\nURI\nPARAMS) )
 *   X-Hmac-Auth-IP, X-Hmac-Auth-MAC
 *
 * PARAMS are all request parameters (query and form body together) as `k=v`, sorted by key then value in code-unit
 * (ASCII) order, joined with `&`, with the RAW (decoded) keys and values — what the SDK samples do with ksort + `%s=%s`.
 * With no parameters the PARAMS line is left out entirely: the string ends with the URI and no newline.
 */
export const ZWDD_VERSION = '1.0';

export interface ZwddSignInput {
  method: string;
  /** The request path as sent, without query or domain (e.g. `/message/workNotification`). */
  path: string;
  /** Query and form-body parameters together: an object, a raw (encoded) query/form string, or decoded pairs. */
  params?: Params | string | [string, string][];
  accessKey: string;
  secretKey: string;
  date: Date;
  /** Fixed in tests; otherwise made from the date and 4 random digits. */
  nonce?: string;
  ip?: string;
  mac?: string;
}

export interface ZwddHeaders {
  'X-Hmac-Auth-Timestamp': string;
  'X-Hmac-Auth-Version': typeof ZWDD_VERSION;
  'X-Hmac-Auth-Nonce': string;
  apiKey: string;
  'X-Hmac-Auth-Signature': string;
  'X-Hmac-Auth-IP': string;
  'X-Hmac-Auth-MAC': string;
}

/** `2026-11-23T10:00:00.000+08:00`: the instant in Beijing time (UTC+8, no daylight saving). */
export function zwddTimestamp(date: Date): string {
  const shifted = new Date(date.getTime() + 8 * 3600_000).toISOString(); // 2026-11-23T10:00:00.000Z
  return `${shifted.slice(0, 23)}+08:00`;
}

/**
 * The 4 digits after the epoch milliseconds: a counter of this process from a random start, not a fresh random number —
 * with up to GATEWAY_CONNECTIONS calls signed in one millisecond, 4 random digits repeat now and then, and the gateway
 * refuses the second call ("Nonce has already been used": a dead letter). The counter repeats only after 10,000 calls
 * within one millisecond; two processes collide only if they sign in the same millisecond at the same counter value.
 */
let nonceCounter = randomInt(0, 10_000);
export function zwddNonce(date: Date, digits4: number = (nonceCounter = (nonceCounter + 1) % 10_000)): string {
  return `${date.getTime()}${String(digits4).padStart(4, '0')}`;
}

/** PARAMS from parameters, a raw (encoded) query or form string, or already-decoded pairs. */
export function zwddParamString(params: Params | string | [string, string][] | undefined): string {
  const pairs = typeof params === 'string' ? parseQueryPairs(params) : Array.isArray(params) ? params : paramPairs(params);
  return sortPairs(pairs).map(([k, v]) => `${k}=${v}`).join('&');
}

export function zwddSigningString(method: string, timestamp: string, nonce: string, path: string, paramString: string): string {
  const head = `${method.toUpperCase()}\n${timestamp}\n${nonce}\n${path}`;
  return paramString === '' ? head : `${head}\n${paramString}`;
}

export function zwddSignature(secretKey: string, signingString: string): string {
  return createHmac('sha256', Buffer.from(secretKey, 'utf8')).update(signingString, 'utf8').digest('base64');
}

export function signZwdd(input: ZwddSignInput): ZwddHeaders {
  const timestamp = zwddTimestamp(input.date);
  const nonce = input.nonce ?? zwddNonce(input.date);
  const signing = zwddSigningString(input.method, timestamp, nonce, input.path, zwddParamString(input.params));
  return {
    'X-Hmac-Auth-Timestamp': timestamp,
    'X-Hmac-Auth-Version': ZWDD_VERSION,
    'X-Hmac-Auth-Nonce': nonce,
    apiKey: input.accessKey,
    'X-Hmac-Auth-Signature': zwddSignature(input.secretKey, signing),
    'X-Hmac-Auth-IP': input.ip ?? '127.0.0.1',
    'X-Hmac-Auth-MAC': input.mac ?? '',
  };
}
