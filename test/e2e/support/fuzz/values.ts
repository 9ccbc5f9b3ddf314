import fc from 'fast-check';
import { RawJson, badUtf8String } from './json-text.js';
import { allowedTypes, jsonType, plainText, resolve, typeFits } from './schema.js';
import type { JsonType, OpenApiDocument, Schema } from './schema.js';

/**
 * Values for the fuzz test: a valid value of a schema (to build base requests), and for each rule of a schema the
 * values that break exactly that rule. Every generator here yields only values the schema refuses.
 */

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A deterministic UUID v7 (fixed time, counter in the random part). */
export function uuidV7(n: number): string {
  const hex = n.toString(16).padStart(12, '0').slice(-12);
  return `019ad000-0000-7${hex.slice(0, 3)}-8${hex.slice(3, 6)}-${hex.slice(6).padStart(12, 'f')}`;
}

/** An RFC 3339 date-time / full-date that is valid and in a sane range. */
export const VALID_DATE_TIME = '2031-05-06T10:00:00+08:00';
export const VALID_DATE = '2031-05-06';

function compile(pattern: string): RegExp | null {
  try { return new RegExp(pattern, 'u'); } catch {
    try { return new RegExp(pattern); } catch { return null; }
  }
}

/** A valid value of `schema` (its example when it gives one that fits, otherwise built from its keywords). */
export function validValue(doc: OpenApiDocument, schema: Schema | undefined, seed = 1): unknown {
  const s = resolve(doc, schema);
  const alts = s.anyOf ?? s.oneOf;
  if (alts?.length) {
    const nonNull = alts.find((a) => !resolve(doc, a).type || resolve(doc, a).type !== 'null');
    return validValue(doc, nonNull ?? alts[0], seed);
  }
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return s.enum.find((v) => v !== null) ?? s.enum[0];
  const types = allowedTypes(doc, s);
  const t = types ? [...types].find((x) => x !== 'null') ?? 'null' : 'string';
  switch (t) {
    case 'string': return validString(s, seed);
    case 'integer': case 'number': {
      const lo = typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + 1 : s.minimum !== undefined ? s.minimum + (s.exclusiveMinimum === true ? 1 : 0) : undefined;
      const hi = typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum - 1 : s.maximum !== undefined ? s.maximum - (s.exclusiveMaximum === true ? 1 : 0) : undefined;
      let v = lo ?? (hi !== undefined ? Math.min(1, hi) : 1);
      if (t === 'integer') v = Math.ceil(v);
      return v;
    }
    case 'boolean': return false;
    case 'null': return null;
    case 'array': return Array.from({ length: s.minItems ?? 0 }, (_, i) => validValue(doc, s.items, seed + i));
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const k of s.required ?? []) out[k] = validValue(doc, s.properties?.[k], seed);
      return out;
    }
    default: return 'x';
  }
}

const validStrings = new Map<string, string>();
function validString(s: Schema, seed: number): string {
  const key = `${seed}:${JSON.stringify(s)}`;
  let v = validStrings.get(key);
  if (v === undefined) validStrings.set(key, (v = buildValidString(s, seed)));
  return v;
}

function buildValidString(s: Schema, seed: number): string {
  const fits = (v: unknown) => typeof v === 'string' && (s.maxLength === undefined || v.length <= s.maxLength) && v.length >= (s.minLength ?? 0)
    && (!s.pattern || compile(s.pattern)?.test(v) !== false);
  for (const ex of [s.example, s.default, ...(Array.isArray(s.examples) ? s.examples : [])]) if (fits(ex)) return ex as string;
  switch (s.format) {
    case 'uuid': return uuidV7(seed);
    case 'date-time': return VALID_DATE_TIME;
    case 'date': return VALID_DATE;
    case 'time': return '10:00:00+08:00';
  }
  if (s.pattern) {
    const re = compile(s.pattern);
    if (re) {
      try {
        const found = fc.sample(fc.stringMatching(re), { seed, numRuns: 50 }).find(fits);
        if (found !== undefined) return found;
      } catch {
        // a pattern fast-check cannot generate from (lookarounds …): fall through to plain text
      }
    }
  }
  return plainText(Math.min(Math.max(s.minLength ?? 1, 4), s.maxLength ?? 4), seed);
}

// ---------------------------------------------------------------------------------------------------------------
// Values that break one rule.

/** JSON values of each type (used where a value of another type is expected). */
const OF_TYPE: Record<Exclude<JsonType, 'integer'>, fc.Arbitrary<unknown>> = {
  string: fc.oneof(fc.constantFrom('abc', '', '1', '12.5', 'true', 'null', '[]', '{}'), fc.string({ maxLength: 12 })),
  number: fc.oneof(fc.constantFrom(0, 1, -1, 12.5, 1e21), fc.integer()),
  boolean: fc.boolean(),
  null: fc.constant(null),
  array: fc.oneof(fc.constant([]), fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.integer()), { minLength: 1, maxLength: 3 })),
  object: fc.oneof(fc.constant({}), fc.dictionary(fc.constantFrom('a', 'b', 'value'), fc.oneof(fc.string({ maxLength: 5 }), fc.integer()), { minKeys: 1, maxKeys: 2 })),
};

/** A JSON value whose type the schema does not allow; null when the schema allows any type. */
export function wrongType(doc: OpenApiDocument, schema: Schema): fc.Arbitrary<unknown> | null {
  const allowed = allowedTypes(doc, schema);
  if (!allowed) return null;
  const arbs = (Object.keys(OF_TYPE) as (keyof typeof OF_TYPE)[])
    .filter((t) => !typeFits(t, allowed) && !(t === 'number' && allowed.has('integer')))
    .map((t) => OF_TYPE[t].filter((v) => !typeFits(jsonType(v), allowed)));
  return arbs.length ? fc.oneof(...arbs) : null;
}

/** RFC 3339 date-times that are malformed, impossible or out of a sane range. */
export const BAD_DATE_TIMES = [
  '2026-02-30T10:00:00Z', '2026-02-29T10:00:00Z', '2026-04-31T10:00:00+08:00', '2026-13-01T10:00:00Z', '2026-00-10T10:00:00Z',
  '2026-01-00T10:00:00Z', '2026-01-01T24:61:00Z', '2026-01-01T25:00:00Z', '2026-01-01T10:60:00Z', '2026-01-01T10:00:61Z',
  '0000-01-01T00:00:00Z', '99999-01-01T00:00:00Z', '+099999-01-01T00:00:00Z', '-000001-01-01T00:00:00Z', '2026-01-01T10:00:00',
  '2026-01-01T10:00', '2026-01-01', '2026-1-1T10:00:00Z', 'garbage', 'now', '1767225600000', '2026-01-01T10:00:00+25:00',
  '2026-01-01T10:00:00+08:60', '２０２６-01-01T10:00:00Z', '2026-01-01T10:00:00ZZ', 'T10:00:00Z', '2026-01-01TT10:00:00Z',
  // out of a sane range (kept only where the schema's own rules refuse them: see breaksString)
  '1999-12-31T23:59:59Z', '2101-01-01T00:00:00Z', '1900-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '1970-01-01T00:00:00Z',
  // RFC 3339 corners a stricter pattern may refuse (again kept only where the schema refuses them)
  '2026-06-30T23:59:60Z', '2026-01-01T10:00:00.1234567890Z', '2026-01-01T10:00:00+0800', '2026-01-01t10:00:00z', '2026-01-01T10:00:00-00:00',
  '2026-01-01T10:00:00+08', '2026-01-01T10:00Z', '2026-01-01T10:00:00.Z',
];
export const BAD_DATES = [
  '2026-02-30', '2026-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '2026-01-00', '2026-01-32', '0000-01-01', '99999-01-01',
  '+099999-01-01', '2026-1-1', '26-01-01', 'garbage', '2026-01-01T00:00:00Z', '2026/01/01', '01-01-2026', '２０２６-01-01', '2026-01',
  '1999-12-31', '2101-01-01', '1900-01-01', '9999-12-31', '1970-01-01',
];
export const BAD_TIMES = ['24:61', '24:00:00', '25:00', '12:60', '12:00:61', '1200', 'noon', '12:00:00+25:00'];

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const DAYS_IN = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A full-date with one impossible part. */
export const badDateArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...BAD_DATES),
  fc.record({ y: fc.integer({ min: 2001, max: 2099 }), m: fc.integer({ min: 1, max: 12 }), bad: fc.integer({ min: 0, max: 2 }), x: fc.integer({ min: 0, max: 99 }) })
    .map(({ y, m, bad, x }) => {
      const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
      const dim = m === 2 && leap ? 29 : DAYS_IN[m - 1]!;
      if (bad === 0) return `${y}-${pad(13 + (x % 87), 2)}-01`; // month 13..99
      if (bad === 1) return `${y}-${pad(m, 2)}-${pad(dim + 1 + (x % (99 - dim)), 2)}`; // a day past the month's end
      return `${y}-${pad(m, 2)}-00`;
    }),
);

/** A date-time with one impossible or missing part. */
export const badDateTimeArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...BAD_DATE_TIMES),
  badDateArb.map((d) => `${d}T10:00:00Z`),
  fc.record({ h: fc.integer({ min: 0, max: 99 }), mi: fc.integer({ min: 0, max: 99 }) }).filter(({ h, mi }) => h > 23 || mi > 59)
    .map(({ h, mi }) => `2026-06-15T${pad(h, 2)}:${pad(mi, 2)}:00+08:00`),
  fc.constantFrom('2026-06-15T10:00:00', '2026-06-15T10:00:00.123', '2026-06-15 10:00:00'), // no offset
);

/** Strings that are not UUIDs. */
export const badUuidArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('not-a-uuid', '', '0', 'null', 'undefined', '00000000-0000-0000-0000-00000000000g', '019ad000-0000-7000-8000-0000000000',
    '{019ad000-0000-7000-8000-000000000001}', '019ad000000070008000000000000001', '019ad000-0000-7000-8000-000000000001-1', '..', '%00'),
  fc.uuid().map((u) => u.slice(0, 35)),
  fc.uuid().map((u) => `${u}0`),
  fc.uuid().map((u) => u.replace(/-/g, '')),
  fc.string({ minLength: 1, maxLength: 40 }),
).filter((s) => !UUID_RE.test(s));

/** Whitespace-only text (for required text). */
export const whitespaceArb = fc.constantFrom(' ', '   ', '\t', '\n', ' \r\n ', '\u3000', '\u00a0', '\u2003 ', '\t\u3000 ');

export function insertAt(base: string, insert: string, at: number): string {
  const i = base.length ? at % (base.length + 1) : 0;
  return base.slice(0, i) + insert + base.slice(i);
}

const DIM = (y: number, m: number) => (m === 2 ? ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!);
/** RFC 3339 full-date, a real calendar day of years 0001-9999. */
export function isRfcDate(v: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= DIM(y, mo);
}
/** RFC 3339 date-time with an offset. */
export function isRfcDateTime(v: string): boolean {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/.exec(v);
  if (!m || !isRfcDate(m[1]!)) return false;
  const [h, mi, sec, oh, om] = [m[2], m[3], m[4], m[5] ?? '0', m[6] ?? '0'].map(Number) as [number, number, number, number, number];
  return h <= 23 && mi <= 59 && sec <= 60 && oh <= 23 && om <= 59;
}

/** Does string `v` break at least one rule of string schema `s`? (the guard every rule-breaking generator passes through) */
export function breaksString(s: Schema, v: string): boolean {
  if (s.maxLength !== undefined && v.length > s.maxLength) return true;
  if (s.minLength !== undefined && v.length < s.minLength) return true;
  if (s.pattern) { const re = compile(s.pattern); if (re && !re.test(v)) return true; }
  if (s.enum && !s.enum.includes(v)) return true;
  if (s.format === 'date' && !isRfcDate(v)) return true;
  if (s.format === 'date-time' && !isRfcDateTime(v)) return true;
  if (s.format === 'uuid' && !UUID_RE.test(v)) return true;
  return v.includes('\u0000') || !v.isWellFormed();
}

/** The values of `arb` that pass `accept`, from a fixed sample (null when none does): never loops on a filter no value passes. */
export function finite<T>(arb: fc.Arbitrary<T>, accept: (v: T) => boolean, seed = 7): fc.Arbitrary<T> | null {
  const pool = [...new Set(fc.sample(arb, { seed, numRuns: 400 }))].filter(accept);
  return pool.length ? fc.constantFrom(...pool) : null;
}

/** Strings that break the string rules of `s` (each generator breaks one rule); `base` is a valid value. */
export function badStrings(s: Schema, base: string, required: boolean): { kind: string; arb: fc.Arbitrary<unknown>; namesField: boolean }[] {
  const out: { kind: string; arb: fc.Arbitrary<unknown>; namesField: boolean }[] = [];
  if (s.maxLength !== undefined) {
    const ml = s.maxLength;
    out.push({ kind: 'string longer than maxLength', namesField: true, arb: fc.oneof(
      fc.integer({ min: ml + 1, max: ml + 40 }),
      fc.integer({ min: ml * 2 + 2, max: ml * 10 + 20 }),
    ).map((n) => plainText(Math.min(n, 200_000), n)) });
  }
  if (s.minLength !== undefined && s.minLength > 0) {
    out.push({ kind: 'string shorter than minLength', namesField: true, arb: fc.integer({ min: 0, max: s.minLength - 1 }).map((n) => plainText(n)) });
  }
  if (s.pattern) {
    const re = compile(s.pattern);
    const arb = re && finite(fc.oneof(
      fc.string({ minLength: 0, maxLength: 20 }),
      fc.constantFrom(`${base}x`, `x${base}`, base.slice(0, -1), base.replace(/[0-9]/, 'a'), base.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d))), '', ' ', '\t'),
      whitespaceArb,
    ), (v) => !re.test(v) && !re.test(v.trim()) && (s.maxLength === undefined || v.length <= s.maxLength) && (s.minLength === undefined || v.length >= s.minLength));
    if (arb) out.push({ kind: `string not matching ${s.pattern}`, namesField: true, arb });
  }
  if (s.enum?.length) {
    const members = new Set(s.enum.map(String));
    const arb = finite(fc.oneof(
      fc.constantFrom(...s.enum.filter((v) => typeof v === 'string').flatMap((v) => [(v as string).toUpperCase(), `${v as string}x`, (v as string).slice(0, -1),
        // look-alikes: Cyrillic а/е/о, a fullwidth first letter, a zero-width space
        (v as string).replace(/[aeo]/, (c) => ({ a: 'а', e: 'е', o: 'о' })[c]!), String.fromCharCode((v as string).charCodeAt(0) + 0xfee0) + (v as string).slice(1), `${v as string}\u200b`])),
      fc.string({ minLength: 1, maxLength: 12 }),
    ), (v) => !members.has(v) && !members.has(v.trim()) && v.length > 0);
    if (arb) out.push({ kind: 'string not in enum', namesField: true, arb });
  }
  const formatArb = s.format === 'uuid' ? badUuidArb : s.format === 'date-time' ? badDateTimeArb : s.format === 'date' ? badDateArb
    : s.format === 'time' ? fc.constantFrom(...BAD_TIMES) : null;
  const breaking = formatArb && finite(formatArb, (v) => breaksString(s, v));
  if (breaking) out.push({ kind: `malformed ${s.format}`, namesField: true, arb: breaking });
  if (required && !s.enum && !s.pattern && !s.format) {
    out.push({ kind: 'whitespace-only required text', namesField: true, arb: whitespaceArb });
  }
  out.push({ kind: 'NUL character', namesField: true, arb: fc.nat().map((at) => insertAt(base, '\u0000', at)) });
  out.push({ kind: 'lone surrogate (\\ud800 escape)', namesField: true,
    arb: fc.tuple(fc.nat(), fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff')).map(([at, sur]) => insertAt(base, sur, at)) });
  out.push({ kind: 'invalid UTF-8 bytes', namesField: false, arb: fc.tuple(fc.nat(), fc.constantFrom(
    Buffer.from([0xff]), Buffer.from([0xfe, 0xff]), Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xc0, 0xaf]),
    Buffer.from([0xe2, 0x82]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]), Buffer.from([0x80]),
  )).map(([at, bad]) => badUtf8String(base, bad, at)) });
  return out;
}

/** Strings that break every one of several string alternatives (oneOf/anyOf: a date-time or a date …). */
export function badStringsOfAll(alts: Schema[], base: string, required: boolean): { kind: string; arb: fc.Arbitrary<unknown>; namesField: boolean }[] {
  const universal = new Set(['NUL character', 'lone surrogate (\\ud800 escape)', 'invalid UTF-8 bytes']);
  const out: { kind: string; arb: fc.Arbitrary<unknown>; namesField: boolean }[] = [];
  for (const [i, alt] of alts.entries()) {
    for (const b of badStrings(alt, base, required)) {
      if (universal.has(b.kind)) { if (i === 0) out.push(b); continue; }
      if (b.kind.startsWith('string longer')) {
        const longest = Math.max(...alts.map((a) => a.maxLength ?? Infinity));
        if (Number.isFinite(longest)) out.push({ ...b, arb: fc.integer({ min: longest + 1, max: longest + 40 }).map((n) => plainText(n, n)) });
        continue;
      }
      const arb = finite(b.arb as fc.Arbitrary<string>, (v) => typeof v === 'string' && alts.every((a) => breaksString(a, v)));
      if (arb) out.push({ ...b, kind: `${b.kind} (no alternative fits)`, arb });
    }
  }
  return out;
}

/** Numbers that break the numeric rules of `s`. */
export function badNumbers(s: Schema, integer: boolean): { kind: string; arb: fc.Arbitrary<unknown> }[] {
  const out: { kind: string; arb: fc.Arbitrary<unknown> }[] = [];
  const lo = typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum : s.minimum;
  const loExclusive = typeof s.exclusiveMinimum === 'number' || s.exclusiveMinimum === true;
  const hi = typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum : s.maximum;
  const hiExclusive = typeof s.exclusiveMaximum === 'number' || s.exclusiveMaximum === true;
  const deltas = fc.constantFrom(1, 2, 0.5, 0.001, 10, 1000, 1e9);
  if (lo !== undefined) {
    out.push({ kind: 'below minimum', arb: deltas.map((d) => (loExclusive ? lo - d + (d === 1 ? 1 : 0) : lo - d))
      .filter((v) => (loExclusive ? v <= lo : v < lo) && Number.isFinite(v)) });
  }
  if (hi !== undefined) {
    out.push({ kind: 'above maximum', arb: deltas.map((d) => hi + d).filter((v) => (hiExclusive ? v >= hi : v > hi)) });
  }
  if (lo !== undefined || hi !== undefined) {
    out.push({ kind: 'number beyond double range (1e400)', arb: fc.constantFrom(RawJson.of('1e400', '1e400'), RawJson.of('-1e400', '-1e400')) });
  }
  if (integer) {
    const base = lo !== undefined ? lo + 1 : 1;
    const fractions = [0.5, 0.25, 0.001].map((f) => base + f).filter((v) => hi === undefined || v < hi);
    if (fractions.length) out.push({ kind: 'not an integer', arb: fc.constantFrom(...fractions) });
  }
  return out;
}

/** Query/path text that is not a number. */
export const NOT_A_NUMBER = ['abc', 'NaN', 'Infinity', '-Infinity', '1a', '--1', '0x10', '0b11', '0o7', 'true', '[]', '1,2', '1..2', '½', '', ' 1', '1 ', '\t2', '1_000', '１'];

/** Percent-encoded text that does not decode to well-formed Unicode, or decodes to NUL. */
export const BAD_ENCODINGS = ['%ZZ', '%', '%E0%A4', '%FF', '%C3%28', '%ED%A0%80', '%C0%AF', 'a%00b', '%00'];
