import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The province's side of the two signing schemes, written from DOMAIN 4.2/4.3 alone and on purpose NOT importing
 * libs/core's signer: the sandbox is a second, independent reading of the spec, so that a mistake in one shows up as a
 * refused call instead of agreeing with itself.
 *
 *   IRS   X-BG-HMAC-SIGNATURE = base64(hmac_sha256(SK, METHOD "\n" PATH "\n" QUERY "\n" AK "\n" DATE "\n"))
 *         QUERY: pairs decoded, ordered by key then value (ASCII), each side percent-encoded byte by byte keeping only
 *         A-Z a-z 0-9 - _ . ! ~ * ' ( ), joined k=v&k=v.  DATE = X-BG-DATE-TIME, at most 90 s from our clock.
 *   浙政钉 X-Hmac-Auth-Signature = base64(hmac_sha256(SK, METHOD "\n" TIMESTAMP "\n" NONCE "\n" PATH ["\n" PARAMS]))
 *         PARAMS: query and form-body pairs decoded, ordered by key then value, raw k=v joined by '&'; the whole line
 *         (and its newline) absent when there are none.
 */
export const ERR = {
  signature: 'Invalid signature',
  accessKey: 'Invalid access key',
  skew: 'Clock skew exceeded',
  route: 'The route_id is forbidden.',
  nonce: 'Nonce has already been used',
} as const;

export type Check = { ok: true; accessKey: string; nonce?: string } | { ok: false; error: string };

const UNRESERVED = /[A-Za-z0-9\-_.!~*'()]/;

function percentEncode(text: string): string {
  let out = '';
  for (const ch of text) {
    if (UNRESERVED.test(ch)) { out += ch; continue; }
    for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Decoded pairs of a query or form string, form rules ('+' is a space). */
export function pairsOf(encoded: string): Array<[string, string]> {
  return [...new URLSearchParams(encoded)].map(([k, v]) => [k, v] as [string, string]);
}

function ordered(pairs: Array<[string, string]>): Array<[string, string]> {
  return pairs.slice().sort(([ka, va], [kb, vb]) => (ka === kb ? (va < vb ? -1 : va > vb ? 1 : 0) : ka < kb ? -1 : 1));
}

function hmacBase64(secret: string, text: string): string {
  return createHmac('sha256', secret).update(Buffer.from(text, 'utf8')).digest().toString('base64');
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function skewOk(value: string | undefined, skewSeconds: number, nowMs: number): boolean {
  if (!value) return false;
  const at = new Date(value).getTime();
  return !Number.isNaN(at) && Math.abs(nowMs - at) <= skewSeconds * 1000;
}

type Headers = Record<string, string | string[] | undefined>;
const h = (headers: Headers, name: string) => {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

export function checkIrs(method: string, path: string, rawQuery: string, headers: Headers, keys: Map<string, string>, skewSeconds: number, nowMs: number): Check {
  const ak = h(headers, 'x-bg-hmac-access-key');
  if (!ak || !keys.has(ak)) return { ok: false, error: ERR.accessKey };
  const date = h(headers, 'x-bg-date-time');
  if (!skewOk(date, skewSeconds, nowMs)) return { ok: false, error: ERR.skew };
  if ((h(headers, 'x-bg-hmac-algorithm') ?? '').toLowerCase() !== 'hmac-sha256') return { ok: false, error: ERR.signature };
  const query = ordered(pairsOf(rawQuery)).map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
  const text = [method.toUpperCase(), path, query, ak, date].join('\n') + '\n';
  const given = h(headers, 'x-bg-hmac-signature') ?? '';
  return equal(given, hmacBase64(keys.get(ak)!, text)) ? { ok: true, accessKey: ak } : { ok: false, error: ERR.signature };
}

export function checkZwdd(method: string, path: string, rawQuery: string, formBody: string | null, headers: Headers, keys: Map<string, string>, skewSeconds: number, nowMs: number): Check {
  const ak = h(headers, 'apikey');
  if (!ak || !keys.has(ak)) return { ok: false, error: ERR.accessKey };
  const timestamp = h(headers, 'x-hmac-auth-timestamp');
  if (!skewOk(timestamp, skewSeconds, nowMs)) return { ok: false, error: ERR.skew };
  const nonce = h(headers, 'x-hmac-auth-nonce');
  if (!nonce) return { ok: false, error: ERR.signature };
  const params = ordered([...pairsOf(rawQuery), ...(formBody ? pairsOf(formBody) : [])]).map(([k, v]) => `${k}=${v}`).join('&');
  const lines = [method.toUpperCase(), timestamp!, nonce, path];
  if (params.length > 0) lines.push(params);
  const given = h(headers, 'x-hmac-auth-signature') ?? '';
  return equal(given, hmacBase64(keys.get(ak)!, lines.join('\n'))) ? { ok: true, accessKey: ak, nonce } : { ok: false, error: ERR.signature };
}

/** Headers the province puts on a push it signs (the 浙政钉 scheme by default, IRS on request). */
export function provinceHeaders(scheme: 'zwdd' | 'irs', method: string, path: string, rawQuery: string, formBody: string, ak: string, sk: string, now: Date, nonce: string): Record<string, string> {
  if (scheme === 'irs') {
    const date = now.toUTCString();
    const query = ordered(pairsOf(rawQuery)).map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
    return {
      'X-BG-HMAC-ACCESS-KEY': ak, 'X-BG-HMAC-ALGORITHM': 'hmac-sha256', 'X-BG-DATE-TIME': date,
      'X-BG-HMAC-SIGNATURE': hmacBase64(sk, `${method}\n${path}\n${query}\n${ak}\n${date}\n`),
    };
  }
  const beijing = new Date(now.getTime() + 8 * 3600_000).toISOString().replace('Z', '+08:00');
  const params = ordered([...pairsOf(rawQuery), ...pairsOf(formBody)]).map(([k, v]) => `${k}=${v}`).join('&');
  const lines = [method, beijing, nonce, path];
  if (params.length > 0) lines.push(params);
  return {
    'X-Hmac-Auth-Timestamp': beijing, 'X-Hmac-Auth-Version': '1.0', 'X-Hmac-Auth-Nonce': nonce, apiKey: ak,
    'X-Hmac-Auth-Signature': hmacBase64(sk, lines.join('\n')), 'X-Hmac-Auth-IP': '127.0.0.1', 'X-Hmac-Auth-MAC': '',
  };
}
