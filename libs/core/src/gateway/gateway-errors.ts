/**
 * The texts the provincial gateways answer with on HTTP 401 (DOMAIN 4.3), used both by the verifier of inbound pushes
 * and to recognise the gateways' refusals in the clients. The nonce text has no published source: the 业务协同网关
 * documents no replay error, so ours says what happened in the same style.
 */
export const GatewayError = {
  InvalidSignature: 'Invalid signature',
  InvalidAccessKey: 'Invalid access key',
  ClockSkewExceeded: 'Clock skew exceeded',
  RouteForbidden: 'The route_id is forbidden.',
  NonceReused: 'Nonce has already been used',
} as const;
export type GatewayErrorText = (typeof GatewayError)[keyof typeof GatewayError];

/** Request parameters as the signers take them: a value, or several values of one key. */
export type ParamValue = string | number | boolean | readonly (string | number | boolean)[] | undefined | null;
export type Params = Record<string, ParamValue>;

/** [key, value] pairs of a Params object in insertion order; undefined/null values are left out, arrays are spread. */
export function paramPairs(params: Params | undefined): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const item of v) out.push([k, String(item)]);
    else out.push([k, String(v)]);
  }
  return out;
}

/** Pairs sorted by key, then by value, in UTF-16 code-unit order (ASCII order for ASCII keys; what Java's sort does). */
export function sortPairs(pairs: [string, string][]): [string, string][] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...pairs].sort((a, b) => cmp(a[0], b[0]) || cmp(a[1], b[1]));
}

/**
 * The pairs of a raw query string (without '?'), percent-decoded the way forms are ('+' is a space). A malformed escape
 * is kept as written rather than thrown: the signature then simply does not match.
 */
export function parseQueryPairs(query: string): [string, string][] {
  if (query.startsWith('?')) query = query.slice(1);
  if (query === '') return [];
  const decode = (s: string) => {
    const spaced = s.replace(/\+/g, ' ');
    try { return decodeURIComponent(spaced); } catch { return spaced; }
  };
  return query.split('&').filter((part) => part !== '').map((part) => {
    const eq = part.indexOf('=');
    return eq < 0 ? [decode(part), ''] : [decode(part.slice(0, eq)), decode(part.slice(eq + 1))];
  });
}
