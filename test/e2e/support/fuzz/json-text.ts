/**
 * JSON text for the fuzz test, written by hand so that a case can carry what JSON.stringify cannot produce from a
 * JS value: an own `__proto__` key, raw bytes (invalid UTF-8, numbers such as 1e400, nesting thousands deep).
 */

/** A fragment inserted into the JSON text as it is (bytes, not a string value). */
export class RawJson {
  constructor(readonly bytes: Buffer, readonly label: string) {}
  static of(text: string | Buffer, label = 'raw'): RawJson {
    return new RawJson(typeof text === 'string' ? Buffer.from(text, 'utf8') : text, label);
  }
}

/** A copy of `obj` with one more own key; works for `__proto__` too (an assignment would set the prototype). */
export function withKey(obj: object, key: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) Object.defineProperty(copy, k, { value: v, enumerable: true, writable: true, configurable: true });
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

/** A copy of `obj` without `key`. */
export function withoutKey(obj: object, key: string): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k !== key) Object.defineProperty(copy, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** The JSON text of a value that may hold RawJson fragments and own `__proto__` keys. */
export function encodeJson(value: unknown): Buffer {
  const parts: Buffer[] = [];
  const put = (s: string) => parts.push(Buffer.from(s, 'utf8'));
  const walk = (v: unknown): void => {
    if (v instanceof RawJson) { parts.push(v.bytes); return; }
    if (v === null) { put('null'); return; }
    switch (typeof v) {
      case 'string': put(JSON.stringify(v)); return; // lone surrogates come out as \udXXX escapes (well-formed JSON.stringify)
      case 'number': if (!Number.isFinite(v)) throw new Error(`not a JSON number: ${v}`); put(JSON.stringify(v)); return;
      case 'boolean': put(v ? 'true' : 'false'); return;
      case 'object': break;
      default: throw new Error(`not JSON: ${typeof v}`);
    }
    if (Array.isArray(v)) {
      put('[');
      v.forEach((item, i) => { if (i) put(','); walk(item); });
      put(']');
      return;
    }
    put('{');
    let first = true;
    for (const [k, item] of Object.entries(v as object)) {
      if (item === undefined) continue;
      if (!first) put(',');
      first = false;
      put(`${JSON.stringify(k)}:`);
      walk(item);
    }
    put('}');
  };
  walk(value);
  return Buffer.concat(parts);
}

/** Nesting `depth` levels deep, as JSON text (arrays or objects). */
export function deepJson(depth: number, shape: 'array' | 'object'): RawJson {
  const text = shape === 'array' ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return RawJson.of(text, `${shape} nested ${depth} deep`);
}

/** A JSON string literal whose bytes are not valid UTF-8 (`bad` inserted at `at` into the UTF-8 of `text`). */
export function badUtf8String(text: string, bad: Buffer, at: number): RawJson {
  const inner = Buffer.from(JSON.stringify(text).slice(1, -1), 'utf8');
  const cut = Math.min(Math.max(0, at), inner.length);
  // never split an escape sequence or a multi-byte character: move the cut back to a character start
  let i = cut;
  while (i > 0 && (inner[i]! & 0xc0) === 0x80) i--;
  return new RawJson(Buffer.concat([Buffer.from('"'), inner.subarray(0, i), bad, inner.subarray(i), Buffer.from('"')]), `invalid UTF-8 ${bad.toString('hex')}`);
}

/** Plain-data deep copy (RawJson fragments are shared, own `__proto__` keys kept). */
export function clone<T>(v: T): T {
  if (v === null || typeof v !== 'object' || v instanceof RawJson) return v;
  if (Array.isArray(v)) return v.map(clone) as T;
  const copy: Record<string, unknown> = {};
  for (const [k, item] of Object.entries(v)) Object.defineProperty(copy, k, { value: clone(item), enumerable: true, writable: true, configurable: true });
  return copy as T;
}

/** Sets (or with `undefined`, deletes) the value at a path of object keys and array indexes; returns a new root. */
export function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (typeof head === 'number') {
    const arr = Array.isArray(root) ? root.map(clone) : [];
    arr[head] = setAt(arr[head], rest, value);
    return arr;
  }
  const obj = root !== null && typeof root === 'object' && !Array.isArray(root) && !(root instanceof RawJson) ? root : {};
  const inner = setAt((obj as Record<string, unknown>)[head!], rest, value);
  return rest.length === 0 && value === undefined ? withoutKey(obj, head!) : withKey(withoutKey(obj, head!), head!, inner);
}

/** `location.lng`, `attachmentIds[0]` */
export function pathText(path: (string | number)[]): string {
  return path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}
