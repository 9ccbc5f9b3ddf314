import { paramPairs } from './gateway-errors.js';
import type { Params } from './gateway-errors.js';

/** application/x-www-form-urlencoded body (UTF-8, %20 for a space; decoders accept both that and '+'). */
export function encodeForm(params: Params): string {
  return paramPairs(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}
