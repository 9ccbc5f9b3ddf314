import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { RawJson, badUtf8String, clone, deepJson, encodeJson, pathText, setAt, withKey } from './json-text.js';
import type { Operation } from './operations.js';
import { allowedTypes, alternatives, hasProperties, plainText, resolve } from './schema.js';
import type { OpenApiDocument, OpenApiParameter, Schema } from './schema.js';
import {
  BAD_ENCODINGS, NOT_A_NUMBER, UUID_RE, VALID_DATE_TIME, badDateArb, badDateTimeArb, badNumbers, badStrings, badStringsOfAll, badUuidArb, finite, uuidV7, validValue, whitespaceArb, wrongType,
} from './values.js';

/**
 * Invalid requests for one operation. Each site is one rule of the operation (a field's type, its maxLength, a
 * required key, the body's syntax, a query parameter's range …) and yields requests that break exactly that rule
 * on an otherwise valid base request, so that any 2xx answer is a bug.
 */

/** A valid request of an operation, before a mutation (values not yet percent-encoded). */
export interface Base {
  path: Record<string, string>;
  query: Record<string, string>;
  body?: unknown;
  /** a body that is not JSON (a multipart upload), sent as it is */
  raw?: { bytes: Buffer; contentType: string };
  user: string | null;
}

/** A request being mutated: path and query values are percent-encoded already. */
export interface Draft {
  path: Record<string, string>;
  query: [string, string][];
  body?: unknown;
  /** the exact body bytes (wins over body) */
  raw?: Buffer;
  contentType?: string;
  /** more request headers (Content-Encoding …) */
  headers?: Record<string, string>;
}

export interface Mutation {
  kind: string;
  /** the field broken (dot path), used to check errors[].field on a 400/422; absent when no field can be named */
  field?: string;
  /** other names the answer may use for the same field */
  alt?: string[];
  apply: (d: Draft) => Draft;
}

/** One rule of an operation and the requests that break it; `weight` (default 1) asks for more of them (a rule with many ways to break). */
export interface Site { name: string; arb: fc.Arbitrary<Mutation>; weight?: number }

/** One request of the fuzz test. */
export interface Case {
  op: string;
  kind: string;
  field?: string;
  alt?: string[];
  user: string | null;
  /** an Authorization header sent instead of the user's token (a bad one), or undefined */
  badAuth?: string | null;
  method: string;
  url: string;
  contentType?: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

const enc = encodeURIComponent;
type Seg = string | number;

export function draftOf(op: Operation, base: Base): Draft {
  const path: Record<string, string> = {};
  for (const [k, v] of Object.entries(base.path)) path[k] = enc(v);
  return {
    path, query: Object.entries(base.query).map(([k, v]) => [enc(k), enc(v)]),
    body: base.body, raw: base.raw?.bytes,
    contentType: base.raw ? base.raw.contentType : base.body !== undefined ? op.body?.contentType ?? 'application/json' : undefined,
  };
}

export function caseOf(op: Operation, base: Base, m: Mutation): Case {
  const d = m.apply(draftOf(op, base));
  let url = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => d.path[name] ?? '');
  if (d.query.length) url += `?${d.query.map(([k, v]) => (k === '' && v === '' ? '' : `${k}=${v}`)).join('&')}`;
  const body = d.raw ?? (d.body !== undefined && d.contentType === 'application/json' ? encodeJson(d.body) : undefined);
  return { op: op.key, kind: m.kind, field: m.field, alt: m.alt, user: base.user, method: op.method, url, contentType: body ? d.contentType : undefined, headers: d.headers, body };
}

const mut = (kind: string, field: string | undefined, apply: (d: Draft) => Draft, alt?: string[]): Mutation => ({ kind, field, apply, alt });
const setBody = (d: Draft, path: Seg[], value: unknown): Draft => ({ ...d, body: setAt(clone(d.body ?? {}), path, value), contentType: 'application/json' });
const rawJson = (d: Draft, text: string | Buffer, contentType = 'application/json'): Draft => ({ ...d, raw: Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'), contentType });

/** Names a fuzzer adds that no operation declares. */
const EXTRA_NAMES = fc.oneof(
  fc.constantFrom('fuzz', 'debug', 'admin', 'isAdmin', 'role', 'foo', 'x', 'toString', 'valueOf', 'hasOwnProperty', '$where', 'a.b'),
  fc.stringMatching(/^[a-z][a-zA-Z0-9_]{2,12}$/),
);
const PROTO_KEYS = fc.constantFrom('__proto__', 'constructor', 'prototype');
const PROTO_VALUES = fc.constantFrom<unknown>({}, { isAdmin: true }, { prototype: { isAdmin: true } }, { toString: 1 }, 1, 'x', null, []);
const SCALARS = fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean(), fc.constant(null));

// ---------------------------------------------------------------------------------------------------------------
// JSON bodies

/** Sites for a JSON body described by `schema` (with properties), `base` being a valid body. */
export function jsonBodySites(doc: OpenApiDocument, schema: Schema, base: unknown): Site[] {
  const sites: Site[] = [];
  if (hasProperties(doc, schema)) objectSites(doc, resolve(doc, schema), base, [], (b) => b, sites);
  return sites;
}

type Prep = (body: unknown) => unknown;

function objectSites(doc: OpenApiDocument, s: Schema, value: unknown, path: Seg[], prep: Prep, sites: Site[]): void {
  const here = pathText(path);
  const props = s.properties ?? {};
  const required = new Set(s.required ?? []);
  const obj = (value && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
  const at = (k: string) => (here ? `${here}.${k}` : k);
  for (const k of required) {
    if (obj[k] === undefined) continue;
    sites.push({ name: `missing ${at(k)}`, arb: fc.constant(mut('missing required field', at(k), (d) => setBody(d, [...path, k], undefined))) });
  }
  if (s.additionalProperties !== true && typeof s.additionalProperties !== 'object') {
    sites.push({ name: `extra field in ${here || 'body'}`, arb: fc.tuple(EXTRA_NAMES.filter((n) => !Object.hasOwn(props, n)), SCALARS).map(([name, v]) =>
      mut('extra field', at(name), (d) => ({ ...d, body: setAt(clone(prep(d.body)), path, withKey(objAt(prep(d.body), path), name, v)), contentType: 'application/json' }))) });
  }
  sites.push({ name: `prototype key in ${here || 'body'}`, arb: fc.tuple(PROTO_KEYS, PROTO_VALUES).map(([key, v]) =>
    mut('prototype key', at(key), (d) => ({ ...d, body: setAt(clone(prep(d.body)), path, withKey(objAt(prep(d.body), path), key, v)), contentType: 'application/json' }))) });
  sites.push({ name: `ill-formed key in ${here || 'body'}`, arb: fc.tuple(fc.constantFrom('a\u0000b', '\u0000', '\ud800', 'x\udfff', '\udc00\ud800'), SCALARS).map(([key, v]) =>
    mut('key with NUL or a lone surrogate', at(key), (d) => ({ ...d, body: setAt(clone(prep(d.body)), path, withKey(objAt(prep(d.body), path), key, v)), contentType: 'application/json' }))) });
  const keys = Object.keys(props);
  if (keys.length) {
    sites.push({ name: `deep nesting in a field of ${here || 'body'}`, arb: fc.tuple(fc.constantFrom(...keys), fc.integer({ min: 1000, max: 20000 }), fc.constantFrom<'array' | 'object'>('array', 'object'))
      .map(([k, depth, shape]) => mut('deeply nested value', undefined, (d) => setBody({ ...d, body: prep(d.body) }, [...path, k], deepJson(depth, shape)), [at(k)])) });
  }
  for (const k of keys) valueSites(doc, props[k]!, obj[k], [...path, k], required.has(k), prep, sites);
}

function objAt(root: unknown, path: Seg[]): object {
  let v = root;
  for (const seg of path) v = (v as Record<string | number, unknown> | undefined)?.[seg];
  return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
}

function valueSites(doc: OpenApiDocument, schema: Schema, current: unknown, path: Seg[], required: boolean, prep: Prep, sites: Site[]): void {
  const s = resolve(doc, schema);
  const field = pathText(path);
  const set = (v: unknown) => (d: Draft) => setBody({ ...d, body: prep(d.body) }, path, v);
  const wt = wrongType(doc, s);
  if (wt) sites.push({ name: `wrong type ${field}`, arb: wt.map((v) => mut(`wrong type (${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v})`, field, set(v))) });
  const allowed = allowedTypes(doc, s);
  if (!allowed) return;
  const alts = alternatives(doc, s);
  const only = (t: string) => {
    const matching = alts.filter((a) => { const at = allowedTypes(doc, a); return at && (at.has(t as never) || (t === 'number' && at.has('integer'))); });
    return matching.length === 1 ? resolve(doc, matching[0]) : null;
  };
  const str = allowed.has('string') ? only('string') : null;
  const strAlts = alts.filter((a) => allowedTypes(doc, a)?.has('string'));
  if (str || strAlts.length > 1) {
    const base = typeof current === 'string' ? current : String(validValue(doc, str ?? strAlts[0]));
    for (const b of str ? badStrings(str, base, required) : badStringsOfAll(strAlts.map((a) => resolve(doc, a)), base, required)) {
      sites.push({ name: `${b.kind} ${field}`, weight: b.kind.startsWith('malformed') ? 3 : 1, arb: b.arb.map((v) => mut(b.kind, b.namesField ? field : undefined, set(v), [field])) });
    }
  }
  const numSchema = allowed.has('number') || allowed.has('integer') ? only('number') : null;
  if (numSchema) {
    const integer = allowedTypes(doc, numSchema)?.has('integer') && !allowedTypes(doc, numSchema)?.has('number');
    for (const b of badNumbers(numSchema, !!integer)) {
      sites.push({ name: `${b.kind} ${field}`, arb: b.arb.map((v) => mut(b.kind, v instanceof RawJson ? undefined : field, set(v), [field])) });
    }
  }
  const arr = allowed.has('array') ? only('array') : null;
  if (arr) {
    const items = resolve(doc, arr.items);
    const baseArr = Array.isArray(current) ? current : (validValue(doc, arr) as unknown[]);
    const oneItem = validValue(doc, items, 7);
    if (arr.maxItems !== undefined) {
      const mx = arr.maxItems;
      sites.push({ name: `more than maxItems ${field}`, arb: fc.integer({ min: mx + 1, max: mx + 5 }).map((n) =>
        mut('array longer than maxItems', field, set(Array.from({ length: n }, (_, i) => validValue(doc, items, 1000 + i))))) });
      sites.push({ name: `huge array ${field}`, arb: fc.integer({ min: mx * 100 + 100, max: mx * 1000 + 1000 }).map((n) =>
        mut('array far longer than maxItems', field, set(new Array<unknown>(Math.min(n, 20000)).fill(oneItem)))) });
    }
    if (arr.uniqueItems && (arr.maxItems === undefined || arr.maxItems >= 2)) {
      const item = baseArr[0] ?? oneItem;
      sites.push({ name: `repeated items ${field}`, arb: fc.integer({ min: 2, max: Math.min(3, arr.maxItems ?? 3) }).map((n) =>
        mut('array items not unique', field, set(new Array<unknown>(n).fill(item)))) });
    }
    if (arr.minItems) {
      sites.push({ name: `fewer than minItems ${field}`, arb: fc.integer({ min: 0, max: arr.minItems - 1 }).map((n) =>
        mut('array shorter than minItems', field, set(Array.from({ length: n }, (_, i) => validValue(doc, items, 2000 + i))))) });
    }
    if (arr.items) {
      const first = baseArr[0] ?? validValue(doc, items, 3);
      const withFirst: Prep = (b) => setAt(clone(prep(b)), path, [first, ...baseArr.slice(1)]);
      valueSites(doc, items, first, [...path, 0], true, withFirst, sites);
    }
  }
  const objSchema = allowed.has('object') ? only('object') : null;
  if (objSchema && hasProperties(doc, objSchema)) {
    const present = current && typeof current === 'object' && !Array.isArray(current);
    const value = present ? current : validValue(doc, objSchema);
    const withObj: Prep = present ? prep : (b) => setAt(clone(prep(b)), path, value);
    objectSites(doc, objSchema, value, path, withObj, sites);
  }
}

/** Body rules that hold for every operation taking a body (the syntax, size and depth of JSON). */
export function genericBodySites(doc: OpenApiDocument, op: Operation, bodyless: boolean): Site[] {
  const sites: Site[] = [];
  const s = op.body ? resolve(doc, op.body.schema) : {};
  const needsSomething = (s.required?.length ?? 0) > 0;
  sites.push({ name: 'malformed JSON', arb: fc.oneof(
    fc.constantFrom('{', '{"a":', "{'a':1}", '{"a":1,}', '[1,2', 'undefined', 'NaN', '{"a":NaN}', '{"a":01}', '{"a":1}{"b":2}', '{"a":"\\x41"}',
      '{"a":"\\u12"}', '{"a": "unterminated}', '{"a":1} trailing', '/* c */{}', '{"a":.5}', '{"a":+1}', '{"a":0x10}', '{a:1}', '{"a":"tab\there"}', '\u0000'),
    fc.string({ minLength: 1, maxLength: 30 }).map((t) => `{${t}`),
  ).filter((t) => { try { JSON.parse(t); return false; } catch { return true; } }).map((t) => mut('malformed JSON', undefined, (d) => rawJson(d, t))) });
  sites.push({ name: 'body over 1 MB', arb: fc.tuple(fc.integer({ min: 1_050_000, max: 1_400_000 }), fc.constantFrom('string', 'array', 'keys')).map(([n, shape]) =>
    mut(`body over 1 MB (${shape})`, undefined, (d) => rawJson(d, shape === 'string' ? `{"x":"${'a'.repeat(n)}"}`
      : shape === 'array' ? `{"x":[${'1,'.repeat(n / 2)}1]}` : `{${Array.from({ length: Math.ceil(n / 8) }, (_, i) => `"k${i}":1`).join(',')}}`))) });
  // without a Content-Length (chunked): the limits must hold on a stream too
  sites.push({ name: 'chunked body', arb: fc.constantFrom('over 1 MB', 'malformed', 'nested 5000 deep').map((k) =>
    mut(`chunked body ${k}`, undefined, (d) => ({
      ...rawJson(d, k === 'over 1 MB' ? `{"x":"${'a'.repeat(1_200_000)}"}` : k === 'malformed' ? '{"a":' : deepJson(5000, 'object').bytes),
      headers: { 'transfer-encoding': 'chunked' },
    }))) });
  sites.push({ name: 'deeply nested body', arb: fc.tuple(fc.integer({ min: 1000, max: 100_000 }), fc.constantFrom<'array' | 'object'>('array', 'object'))
    .map(([depth, shape]) => mut(`body nested ${depth} deep`, undefined, (d) => rawJson(d, deepJson(depth, shape).bytes))) });
  sites.push({ name: 'invalid UTF-8 in a key', arb: fc.constantFrom(Buffer.from([0xff]), Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80])).map((bad) =>
    mut('invalid UTF-8 bytes in a key', undefined, (d) => rawJson(d, Buffer.concat([Buffer.from('{"a'), bad, Buffer.from('":1}')])))) });
  if (bodyless) {
    if (op.method !== 'GET') {
      // a body where the operation takes none: its keys are extra fields, and the text rules hold all the same
      sites.push({ name: 'unexpected body field', arb: fc.tuple(fc.oneof(EXTRA_NAMES.filter((n) => n !== ''), PROTO_KEYS), PROTO_VALUES).map(([k, v]) =>
        mut('body where none is taken', k, (d) => ({ ...d, body: withKey({}, k, v), contentType: 'application/json' }))) });
      sites.push({ name: 'unexpected body with bad text', arb: fc.constantFrom('\u0000', '\ud800', 'a\udc00b').map((t) =>
        mut('body where none is taken (bad text)', 'note', (d) => ({ ...d, body: { note: t }, contentType: 'application/json' }))) });
    }
    return sites;
  }
  if (!hasProperties(doc, s)) {
    // no schema yet: the top level still refuses unknown and prototype keys
    sites.push({ name: 'extra field (no schema)', arb: fc.tuple(EXTRA_NAMES.filter((n) => n !== ''), SCALARS).map(([k, v]) =>
      mut('extra field', k, (d) => ({ ...d, body: withKey(objAt(d.body, []), k, v), contentType: 'application/json' }))) });
    sites.push({ name: 'prototype key (no schema)', arb: fc.tuple(PROTO_KEYS, PROTO_VALUES).map(([k, v]) =>
      mut('prototype key', k, (d) => ({ ...d, body: withKey(objAt(d.body, []), k, v), contentType: 'application/json' }))) });
  }
  sites.push({ name: 'compressed body', arb: fc.constantFrom('gzip', 'deflate', 'x-fuzz', 'br, gzip').map((encoding) =>
    mut(`Content-Encoding ${encoding}${encoding.startsWith('x-') ? '' : ', inflating past 1 MB'}`, undefined, (d) => ({
      ...rawJson(d, encoding.startsWith('x-') ? encodeJson(d.body ?? {}) : encoding === 'deflate'
        ? deflateSync(`{"x":"${'a'.repeat(3_000_000)}"}`) : gzipSync(`{"x":"${'a'.repeat(3_000_000)}"}`)),
      headers: { 'content-encoding': encoding },
    }))) });
  if (holdsText(s)) {
    // RFC 8259: JSON between systems is UTF-8; the same valid body in UTF-16 or Latin-1 is not JSON text
    sites.push({ name: 'body not UTF-8', arb: fc.constantFrom('utf-16le', 'utf-16be', 'latin1').map((cs) =>
      mut(`body encoded as ${cs}`, undefined, (d) => {
        let charset = cs;
        const text = encodeJson(d.body ?? {}).toString('utf8');
        if (charset === 'latin1' && /^[\x00-\x7f]*$/.test(text)) charset = 'utf-16le'; // ASCII is the same in Latin-1: not a different body
        const bytes = charset === 'utf-16le' ? Buffer.from(text, 'utf16le') : charset === 'utf-16be' ? Buffer.from(text, 'utf16le').swap16() : Buffer.from(text, 'latin1');
        return rawJson(d, bytes, `application/json; charset=${charset}`);
      })) });
  }
  if (s.type === 'object' || hasProperties(doc, s)) {
    sites.push({ name: 'body not an object', arb: fc.constantFrom('[]', '[{}]', '"text"', '1', 'true', 'null', '[null]', '""').map((t) =>
      mut(`body is ${t}`, undefined, (d) => rawJson(d, t))) });
  }
  if (needsSomething) {
    sites.push({ name: 'empty body', arb: fc.constantFrom('', '{}', ' ').map((t) => mut(`empty body (${JSON.stringify(t)})`, undefined, (d) => rawJson(d, t))) });
    sites.push({ name: 'body not JSON', arb: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'text/html', '', 'application/jsonx', 'json').map((ct) =>
      mut(`body sent as ${ct || '(no Content-Type)'}`, undefined, (d) => rawJson(d, ct.includes('urlencoded') ? 'a=1&b=2' : encodeJson(d.body ?? {}), ct))) });
  }
  return sites;
}

/** Does a valid body of this schema hold text (so that its UTF-16 or Latin-1 bytes differ from UTF-8)? */
function holdsText(s: Schema): boolean {
  return Object.values(s.properties ?? {}).some((p) => p.type === 'string' || (Array.isArray(p.type) && p.type.includes('string')));
}

// ---------------------------------------------------------------------------------------------------------------
// Query and path parameters

function withQuery(d: Draft, name: string, value: string | null, mode: 'set' | 'add' = 'set'): Draft {
  const kept = mode === 'set' ? d.query.filter(([k]) => k !== enc(name)) : d.query;
  return { ...d, query: value === null ? kept : [...kept, [enc(name), value]] };
}

export function querySites(doc: OpenApiDocument, op: Operation, base: Base, examples: Record<string, string> = {}): Site[] {
  const sites: Site[] = [];
  for (const p of op.query) {
    const s = resolve(doc, p.schema);
    const name = p.name;
    const example = validValue(doc, s);
    const valid = base.query[name] ?? examples[name]
      ?? (Array.isArray(example) ? (example.length ? example : [validValue(doc, s.items)]).map(String).join(',') : String(example));
    const put = (kind: string, value: string, field: string | undefined = name) => mut(kind, field, (d) => withQuery(d, name, value));
    if (p.required) sites.push({ name: `missing ${name}`, arb: fc.constant(mut('missing required parameter', name, (d) => withQuery(d, name, null))) });
    const allowed = allowedTypes(doc, s);
    if (allowed?.has('array') && s.items && p.explode === false) csvArraySites(doc, name, s, valid, put, sites);
    if (!allowed?.has('array') || p.explode === false) {
      sites.push({ name: `repeated ${name}`, arb: fc.constantFrom(2, 3).map((n) =>
        mut(`parameter repeated ${n} times`, name, (d) => ({ ...withQuery(d, name, null), query: [...withQuery(d, name, null).query, ...Array.from({ length: n }, () => [enc(name), enc(valid)] as [string, string])] }))) });
    }
    sites.push({ name: `bracket ${name}`, arb: fc.constantFrom('[]', '[a]', '[__proto__]', '[0]').map((suffix) =>
      mut(`parameter with brackets ${name}${suffix}`, name, (d) => ({ ...withQuery(d, name, null), query: [...withQuery(d, name, null).query, [`${enc(name)}${enc(suffix)}`, enc(valid)]] }), [`${name}${suffix}`])) });
    sites.push({ name: `bad encoding ${name}`, arb: fc.constantFrom(...BAD_ENCODINGS).map((v) => mut('badly encoded parameter', name, (d) => withQuery(d, name, v))) });
    if (name === 'bbox') {
      sites.push({ name: 'bad bbox', weight: 4, arb: fc.oneof(
        fc.array(fc.double({ min: -10, max: 130, noNaN: true }), { minLength: 0, maxLength: 8 }).filter((a) => a.length !== 4).map((a) => ({ k: `arity ${a.length}`, v: a.join(',') })),
        fc.constantFrom('NaN,30,120,31', '119,NaN,120,31', '119,30,Infinity,31', 'a,b,c,d', '119,,120,31', '119,30,120,31,', ',119,30,120', '119;30;120;31', '119 30 120 31')
          .map((v) => ({ k: 'not numbers', v })),
        fc.record({ x: fc.double({ min: 119, max: 120, noNaN: true }), y: fc.double({ min: 30, max: 31, noNaN: true }), w: fc.double({ min: 0.01, max: 0.5, noNaN: true }), flip: fc.constantFrom('lng', 'lat', 'both') })
          .map(({ x, y, w, flip }) => ({ k: `inverted ${flip}`, v: flip === 'lng' ? `${x + w},${y},${x},${y + w}` : flip === 'lat' ? `${x},${y + w},${x + w},${y}` : `${x + w},${y + w},${x},${y}` })),
        fc.constantFrom('-200,30,120,31', '119,-95,120,31', '119,30,181,31', '119,30,120,91', '-1e400,30,120,31').map((v) => ({ k: 'out of range', v })),
      ).map(({ k, v }) => put(`bbox ${k}`, enc(v))) });
    }
    if (name === 'cursor') {
      const b64 = (t: string | Buffer) => Buffer.from(t).toString('base64url');
      const u = uuidV7(42);
      sites.push({ name: 'bad cursor', weight: 8, arb: fc.oneof(
        fc.base64String({ minLength: 4, maxLength: 80 }).map((t) => ({ k: 'random base64', v: t.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') })),
        fc.string({ minLength: 1, maxLength: 40 }).filter((t) => !t.includes('|')).map((t) => ({ k: 'base64 of garbage', v: b64(t) })),
        fc.uint8Array({ minLength: 1, maxLength: 40 }).map((a) => ({ k: 'base64 of random bytes', v: b64(Buffer.from(a)) })),
        fc.constantFrom('2026-02-30T00:00:00.000Z', '2026-13-01T00:00:00.000Z', '2026-01-01T24:61:00.000Z', '0000-01-01T00:00:00.000Z',
          '+099999-01-01T00:00:00.000Z', '99999-01-01T00:00:00.000Z', '-000001-01-01T00:00:00.000Z', 'garbage', '2026-01-01T10:00:00', '1', 'Tue Dec 01 2026')
          .map((at) => ({ k: `base64 of impossible date ${at}`, v: b64(`${at}|${u}`) })),
        fc.constantFrom(`${VALID_DATE_TIME}|not-a-uuid`, `${VALID_DATE_TIME}|${u}|x`, `${VALID_DATE_TIME}`, `|${u}`, `${VALID_DATE_TIME}|`, `${VALID_DATE_TIME}|${u}\u0000`)
          .map((t) => ({ k: 'base64 of a bad cursor', v: b64(t) })),
        fc.constantFrom('!!!', 'a b', '%ZZ', '====', 'YQ=', 'YWJj.ZGVm').map((t) => ({ k: 'not base64url', v: t.includes('%') ? t : enc(t) })),
      ).filter(({ v }) => v.length > 0).map(({ k, v }) => put(`cursor: ${k}`, v)) });
    }
    const str = allowed?.has('string') ? s : null;
    if (str && name !== 'bbox') {
      for (const b of badStrings(str, valid, !!p.required)) {
        if (b.kind.startsWith('lone surrogate') || b.kind.startsWith('invalid UTF-8')) continue; // not writable in a URL: see bad encodings
        sites.push({ name: `${b.kind} ${name}`, weight: b.kind.startsWith('malformed') ? 3 : 1, arb: b.arb.map((v) => put(b.kind, enc(String(v)))) });
      }
    }
    if (allowed && (allowed.has('integer') || allowed.has('number')) && !allowed.has('string')) {
      const integer = allowed.has('integer') && !allowed.has('number');
      sites.push({ name: `not a number ${name}`, arb: fc.constantFrom(...NOT_A_NUMBER, ...(integer ? ['1.5', '2.0000001'] : [])).map((v) => put('not a number', enc(v))) });
      for (const b of badNumbers(s, integer)) {
        sites.push({ name: `${b.kind} ${name}`, arb: b.arb.map((v) => put(b.kind, enc(v instanceof RawJson ? v.bytes.toString() : String(v)))) });
      }
    }
    if (allowed?.has('boolean') && !allowed.has('string')) {
      sites.push({ name: `not a boolean ${name}`, arb: fc.constantFrom('yes', '2', 'abc', 'TRUE ', '').map((v) => put('not a boolean', enc(v))) });
    }
  }
  // a query parser that stops after N pairs (Node's querystring: 1,000) must not drop the bad part silently
  const hidden = [['fuzz', '1'], ['__proto__', '1'], ...op.query.map((p) => [p.name, '%00'])] as [string, string][];
  sites.push({ name: 'bad parameter after 1,000 empty pairs', arb: fc.tuple(fc.constantFrom(...hidden), fc.integer({ min: 1000, max: 1500 })).map(([[n, v], pad]) =>
    mut(`${n === 'fuzz' || n === '__proto__' ? 'unknown parameter' : 'NUL value'} after ${pad} empty pairs`, n,
      (d) => ({ ...d, query: [...d.query, ...Array.from({ length: pad }, () => ['', ''] as [string, string]), [enc(n), v]] }),
      ['query'])) }); // a limit on the number of pairs may refuse the query string as a whole (its parent)
  // names are case-sensitive: `Limit` is not `limit`
  const otherCase = op.query.flatMap((p) => [p.name.toUpperCase(), p.name[0]!.toUpperCase() + p.name.slice(1)]).filter((n) => !op.query.some((p) => p.name === n));
  sites.push({ name: 'unknown query parameter', weight: 2, arb: fc.tuple(
    fc.oneof(EXTRA_NAMES, fc.constantFrom('__proto__', 'constructor', 'prototype', '__proto__[isAdmin]', 'constructor[prototype][isAdmin]', ...otherCase)),
    fc.constantFrom('1', 'true', 'x', ''),
  ).filter(([n]) => n !== '' && !op.query.some((p) => p.name === n.split('[')[0])).map(([n, v]) =>
    mut('unknown query parameter', n.split('[')[0], (d) => ({ ...d, query: [...d.query, [enc(n), enc(v)]] }), [n])) });
  return sites;
}

/** A comma-separated array parameter (style form, explode false): too many or too few members, a bad or empty member, repeats. */
function csvArraySites(doc: OpenApiDocument, name: string, s: Schema, valid: string, put: (kind: string, value: string) => Mutation, sites: Site[]): void {
  const items = resolve(doc, s.items);
  const members = valid.split(',');
  const enumValues = (items.enum ?? []).map(String);
  const distinct = (n: number) => (enumValues.length >= n ? enumValues.slice(0, n) : Array.from({ length: n }, (_, i) => members[i % members.length]!));
  const csv = (list: unknown[]) => enc(list.map(String).join(','));
  if (s.maxItems !== undefined && (!s.uniqueItems || enumValues.length === 0 || enumValues.length > s.maxItems)) {
    const mx = s.maxItems;
    sites.push({ name: `too many members ${name}`, arb: fc.integer({ min: mx + 1, max: mx + 4 }).map((n) => put(`${n} members, more than maxItems`, csv(distinct(n)))) });
  }
  if (s.minItems) {
    sites.push({ name: `too few members ${name}`, arb: fc.integer({ min: 1, max: s.minItems - 1 }).map((n) => put(`${n} members, fewer than minItems`, csv(members.slice(0, n)))) });
  }
  const t = allowedTypes(doc, items);
  const badMember: fc.Arbitrary<string>[] = [];
  if (t?.has('number') || t?.has('integer')) {
    badMember.push(fc.constantFrom(...NOT_A_NUMBER.filter((v) => !v.includes(','))));
    for (const b of badNumbers(items, !t.has('number'))) badMember.push(b.arb.map((v) => (v instanceof RawJson ? v.bytes.toString() : String(v))));
  } else if (t?.has('string')) {
    for (const b of badStrings(items, members[0] ?? 'x', true)) {
      if (b.kind.startsWith('lone surrogate') || b.kind.startsWith('invalid UTF-8')) continue;
      const arb = finite(b.arb as fc.Arbitrary<string>, (v) => typeof v === 'string' && !v.includes(',') && v.trim() === v && v.length > 0);
      if (arb) badMember.push(arb);
    }
  }
  if (badMember.length) {
    sites.push({ name: `bad member ${name}`, arb: fc.tuple(fc.oneof(...badMember), fc.nat()).map(([bad, i]) => {
      const list = [...members];
      list[i % list.length] = bad;
      return put('a member breaks the item schema', csv(list));
    }) });
  }
  sites.push({ name: `empty member ${name}`, arb: fc.constantFrom('lead', 'middle', 'trail').map((where) =>
    put(`empty member (${where})`, enc(where === 'lead' ? `,${valid}` : where === 'trail' ? `${valid},` : `${members[0]},,${members.slice(1).join(',') || members[0]}`))) });
  if (s.uniqueItems && (s.maxItems === undefined || s.maxItems >= 2) && members.length < (s.maxItems ?? 99)) {
    sites.push({ name: `repeated member ${name}`, arb: fc.constant(put('a member repeated', csv([...members, members[0]])) ) });
  }
}

export function pathSites(doc: OpenApiDocument, op: Operation): Site[] {
  const sites: Site[] = [];
  for (const p of op.pathParams) {
    const s = resolve(doc, p.schema);
    const name = p.name;
    const put = (kind: string, v: string, alt?: string[]) => mut(kind, name, (d) => ({ ...d, path: { ...d.path, [name]: v } }), alt);
    const usable = (v: string) => v.length > 0 && v !== '.' && v !== '..';
    sites.push({ name: `bad encoding ${name}`, arb: fc.constantFrom(...BAD_ENCODINGS, '%20', '%20%20', '%E3%80%80').map((v) => v.startsWith('%20') || v.startsWith('%E3') ? put('whitespace-only path parameter', v)
      // text that cannot be decoded may be named by the part of the request it sits in
      : put('badly encoded path parameter', v, ['path'])) });
    const constrained = s.format || s.pattern || s.enum || s.maxLength !== undefined;
    if (s.format === 'uuid') sites.push({ name: `not a uuid ${name}`, weight: 2, arb: badUuidArb.filter(usable).map((v) => put('not a uuid', enc(v))) });
    if (s.format === 'date') sites.push({ name: `malformed date ${name}`, weight: 3, arb: badDateArb.map((v) => put('malformed date', enc(v))) });
    if (s.format === 'date-time') sites.push({ name: `malformed date-time ${name}`, weight: 3, arb: badDateTimeArb.map((v) => put('malformed date-time', enc(v))) });
    if (s.pattern || s.enum || s.maxLength !== undefined) {
      const base = String(validValue(doc, s));
      for (const b of badStrings(s, base, true)) {
        if (b.kind.startsWith('lone surrogate') || b.kind.startsWith('invalid UTF-8') || b.kind.startsWith('whitespace')) continue;
        const arb = finite(b.arb, (v) => typeof v === 'string' && usable(v));
        if (arb) sites.push({ name: `${b.kind} ${name}`, arb: arb.map((v) => put(b.kind, enc(String(v)))) });
      }
    }
    if (constrained) sites.push({ name: `very long ${name}`, arb: fc.integer({ min: 300, max: 6000 }).map((n) => put('very long path parameter', enc(plainText(n)))) });
    if (allowedTypes(doc, s)?.has('integer') || allowedTypes(doc, s)?.has('number')) {
      sites.push({ name: `not a number ${name}`, arb: fc.constantFrom(...NOT_A_NUMBER.filter((v) => v.trim() !== '')).map((v) => put('not a number', enc(v))) });
    }
  }
  return sites;
}

// ---------------------------------------------------------------------------------------------------------------
// multipart/form-data uploads

export interface Part { name: string; filename?: string; type?: string; data: Buffer }

export function multipart(parts: Part[], boundary: string): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disp = `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disp}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n`), p.data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** Sites for a multipart upload whose one declared part is `file` (an image), `image` being a valid one. */
export function uploadSites(fileField: string, image: Buffer, maxBytes: number): Site[] {
  const B = 'fuzzboundary7f3a';
  const ct = `multipart/form-data; boundary=${B}`;
  const send = (kind: string, field: string | undefined, parts: Part[], alt?: string[]) =>
    mut(kind, field, (d) => ({ ...d, raw: multipart(parts, B), contentType: ct }), alt);
  const file = (data: Buffer, name = fileField): Part => ({ name, filename: 'photo.png', type: 'image/png', data });
  const sites: Site[] = [];
  sites.push({ name: 'no file', arb: fc.constantFrom<Part[]>([], [{ name: 'note', data: Buffer.from('x') }]).map((parts) => send('no file part', fileField, parts)) });
  sites.push({ name: 'file under another name', arb: fc.constantFrom('photo', 'files', `${fileField}[]`, 'FILE', '__proto__').map((n) =>
    send('file under another part name', fileField, [file(image, n)], [n])) });
  sites.push({ name: 'file as a text part', arb: fc.constantFrom(image.toString('base64'), 'x', '').map((v) =>
    send('file sent as a text part (no filename)', fileField, [{ name: fileField, data: Buffer.from(v) }])) });
  sites.push({ name: 'many parts', arb: fc.integer({ min: 50, max: 2000 }).map((n) =>
    send(`${n} extra text parts`, undefined, [file(image), ...Array.from({ length: n }, (_, i) => ({ name: `p${i}`, data: Buffer.from('1') }))])) });
  sites.push({ name: 'two files', arb: fc.constant(send('two file parts', fileField, [file(image), file(image)])) });
  sites.push({ name: 'extra part', arb: fc.tuple(fc.oneof(EXTRA_NAMES.filter((n) => n !== '' && n !== fileField), PROTO_KEYS), fc.constantFrom('1', 'x', '{"isAdmin":true}')).map(([n, v]) =>
    send('extra multipart field', n, [file(image), { name: n, data: Buffer.from(v) }])) });
  sites.push({ name: 'not an image', arb: fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 4096 }).map((a) => ({ k: 'random bytes', b: Buffer.from(a) })),
    fc.constantFrom(
      { k: 'GIF', b: Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64') },
      { k: 'SVG', b: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') },
      { k: 'HTML', b: Buffer.from('<!doctype html><script>alert(1)</script>') },
      { k: 'PDF', b: Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF') },
      { k: 'ZIP', b: Buffer.from('504b0304140000000000000000000000000000000000000000000000', 'hex') },
    ),
  ).filter(({ b }) => !b.subarray(0, 8).equals(image.subarray(0, 8))).map(({ k, b }) => send(`file is ${k}`, fileField, [file(b)])) });
  sites.push({ name: 'truncated image', arb: fc.integer({ min: 1, max: Math.max(1, image.length - 20) }).map((n) => send('truncated image', fileField, [file(image.subarray(0, n))])) });
  // an IHDR the PNG specification forbids (the critical header chunk: a decoder must refuse it, unlike a damaged ancillary chunk)
  sites.push({ name: 'impossible image header', arb: fc.constantFrom(
    { k: 'width 0', at: 16, bytes: [0, 0, 0, 0] }, { k: 'height 0', at: 20, bytes: [0, 0, 0, 0] },
    { k: 'bit depth 3', at: 24, bytes: [3] }, { k: 'colour type 5', at: 25, bytes: [5] }, { k: 'compression method 1', at: 26, bytes: [1] },
    { k: 'width 2^31', at: 16, bytes: [0x80, 0, 0, 0] },
  ).map(({ k, at, bytes }) => {
    const b = Buffer.from(image);
    bytes.forEach((x, i) => { b[at + i] = x; });
    return send(`image header with ${k}`, fileField, [file(b)]);
  }) });
  sites.push({ name: 'empty file', arb: fc.constant(send('empty file', fileField, [file(Buffer.alloc(0))])) });
  sites.push({ name: 'file too large', arb: fc.constant(0).map(() => send('file over the upload limit', fileField, [file(Buffer.concat([image, Buffer.alloc(maxBytes + 1024 - image.length)]))])) });
  sites.push({ name: 'malformed multipart', arb: fc.constantFrom(
    { k: 'no boundary', ct: 'multipart/form-data', body: multipart([file(image)], B) },
    { k: 'wrong boundary', ct: 'multipart/form-data; boundary=other', body: multipart([file(image)], B) },
    { k: 'truncated', ct, body: multipart([file(image)], B).subarray(0, 60) },
    { k: 'no closing boundary', ct, body: Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="${fileField}"; filename="a.png"\r\n\r\nabc`) },
    { k: 'garbage', ct, body: Buffer.from('this is not multipart') },
  ).map(({ k, ct: c, body }) => mut(`malformed multipart (${k})`, undefined, (d) => ({ ...d, raw: body, contentType: c }))) });
  sites.push({ name: 'JSON instead of multipart', arb: fc.constantFrom('{"file":"iVBORw0KGgo="}', '{}', '[]').map((t) =>
    mut('JSON body instead of multipart', fileField, (d) => rawJson(d, t)) )});
  return sites;
}

/** A bad Authorization header (for operations that need a token). */
export const badAuthArb: fc.Arbitrary<string | null> = fc.oneof(
  fc.constant(null),
  fc.constantFrom('Bearer', 'Bearer ', 'Basic YWRtaW46R3JpZDE0MSFkZW1v', 'bearer x', 'Bearer null', 'Bearer undefined',
    'Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhZG1pbiJ9.', `Bearer ${'a'.repeat(9000)}`, 'Bearer \u00ff\u00fe'),
  fc.string({ minLength: 1, maxLength: 60 }).map((t) => `Bearer ${t.replace(/[\r\n]/g, '')}`),
);

export { whitespaceArb };
