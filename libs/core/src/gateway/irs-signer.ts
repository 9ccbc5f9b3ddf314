import { createHmac } from 'node:crypto';
import { paramPairs, parseQueryPairs, sortPairs } from './gateway-errors.js';
import type { Params } from './gateway-errors.js';

/**
 * IRS 业务协同与数据共享网关 signing (DOMAIN 4.3): four headers on every call,
 *
 *   X-BG-HMAC-SIGNATURE = Base64( HMAC-SHA256(SK, METHOD\nURI\nQUERY\nAK\nDATE\n) )
 *
 * over the RAW digest bytes (not over its hex string, which one published Go sample encodes by mistake; the PHP
 * sample's hex2bin gets the raw bytes back), with the trailing newline after DATE. DATE is the RFC 7231 IMF-fixdate in GMT, also sent as
 * X-BG-DATE-TIME; the gateway allows 90 s of clock skew.
 *
 * QUERY canonical form (the published Java sample's getCanonicalQueryString, minus its `%25 → %` quirk): the query's
 * pairs, percent-decoded, sorted by key and then by value in code-unit (ASCII) order, each key and value encoded
 * again with encodeURIComponent (which leaves exactly Java URLEncoder's unreserved set plus `!'()~` unencoded and writes
 * a space as %20), joined `k=v` with `&`. A key without '=' signs as `k=`. No query: an empty line.
 */
export const IRS_ALGORITHM = 'hmac-sha256';

export interface IrsSignInput {
  method: string;
  /** The request path as sent, without the query (e.g. `/restapi/prod/IC33000020220329000007/uc/sso/access_token`). */
  path: string;
  /** The query as parameters, or as the raw string sent (with or without '?'). */
  query?: Params | string;
  accessKey: string;
  secretKey: string;
  /** When the request is signed (the date header is derived from it, to the second). */
  date: Date;
}

export interface IrsHeaders {
  'X-BG-HMAC-ACCESS-KEY': string;
  'X-BG-HMAC-ALGORITHM': typeof IRS_ALGORITHM;
  'X-BG-DATE-TIME': string;
  'X-BG-HMAC-SIGNATURE': string;
}

/** RFC 7231 IMF-fixdate, e.g. `Tue, 09 Nov 2021 08:49:20 GMT` (Date#toUTCString writes exactly this form). */
export function httpDate(date: Date): string {
  return date.toUTCString();
}

/** The canonical QUERY line of the signing string. */
export function irsCanonicalQuery(query: Params | string | undefined): string {
  const pairs = typeof query === 'string' ? parseQueryPairs(query) : paramPairs(query);
  return sortPairs(pairs).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

/** `METHOD\nURI\nQUERY\nAK\nDATE\n` — note the newline after DATE. */
export function irsSigningString(method: string, path: string, canonicalQuery: string, accessKey: string, date: string): string {
  return `${method.toUpperCase()}\n${path}\n${canonicalQuery}\n${accessKey}\n${date}\n`;
}

export function irsSignature(secretKey: string, signingString: string): string {
  return createHmac('sha256', Buffer.from(secretKey, 'utf8')).update(signingString, 'utf8').digest('base64');
}

export function signIrs(input: IrsSignInput): IrsHeaders {
  const date = httpDate(input.date);
  const signing = irsSigningString(input.method, input.path, irsCanonicalQuery(input.query), input.accessKey, date);
  return {
    'X-BG-HMAC-ACCESS-KEY': input.accessKey,
    'X-BG-HMAC-ALGORITHM': IRS_ALGORITHM,
    'X-BG-DATE-TIME': date,
    'X-BG-HMAC-SIGNATURE': irsSignature(input.secretKey, signing),
  };
}
