/**
 * Field decorators for request DTOs: ONE definition per field that gives both its validation (class-validator, with
 * class-transformer for query strings) and its OpenAPI schema (@ApiProperty). A rule written here holds for every
 * DTO that uses the field kind, present and future, and the document at /docs says exactly what is enforced.
 *
 * Presence: a required field refuses undefined and null; an optional one may be absent but, unless `nullable`,
 * is refused when null (a client sending `null` for an optional field gets a 400, not a silently different meaning).
 * Query parameters arrive as strings: `query: true` converts only strings that are exactly a number or a boolean,
 * so `?limit=`, `?limit=0x10` or `?limit=1e2` are refused, never read as 0, 16 or 100.
 */
import { applyDecorators, Injectable } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { ApiProperty } from '@nestjs/swagger';
import type { ApiPropertyOptions } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsDefined, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Matches, Max, Min,
  ValidateBy, ValidateIf, ValidateNested,
} from 'class-validator';
import type { ValidationArguments, ValidationOptions } from 'class-validator';
import type { Request } from 'express';
import { Problem } from '#core';

type Schema = Record<string, unknown>;
type Decorator = PropertyDecorator;

/** What a field kind is: its JSON Schema and its validators (`each` when it is the item of an array). */
export interface FieldKind {
  schema: Schema;
  validators: (each: boolean) => Decorator[];
  /** Converts a query-string value (a string) to the field's type; values that do not convert are left for the validators to refuse. */
  fromQuery?: (value: string) => unknown;
  /** The canonical form of a valid value (e.g. a UUID in lower case), applied to strings before validation. */
  normalize?: (value: string) => string;
}

export interface Presence {
  optional?: boolean;
  nullable?: boolean;
  description?: string;
  example?: unknown;
  /** The value comes from the query string (strings only): convert numbers and booleans strictly. */
  query?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Strict text, dates and times (exported for controllers and tests that need the same checks)

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Well-formed Unicode without NUL (PostgreSQL text cannot hold U+0000; a lone surrogate is not a character). */
export function isWellFormedText(s: string): boolean {
  return !s.includes('\u0000') && !LONE_SURROGATE.test(s);
}

/** Length in Unicode code points (what PostgreSQL's varchar(n) and JSON Schema's maxLength count). */
export const charLength = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

const YEAR = '(?:20\\d{2}|2100)';
const MONTH = '(?:0[1-9]|1[0-2])';
const DAY = '(?:0[1-9]|[12]\\d|3[01])';
/** YYYY-MM-DD, years 2000–2100. */
export const DATE_PATTERN = `^${YEAR}-${MONTH}-${DAY}$`;
/** RFC 3339 date-time with an explicit offset (Z or ±hh:mm), years 2000–2100, no leap second. */
export const INSTANT_PATTERN = `^${YEAR}-${MONTH}-${DAY}T(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d{1,9})?(?:Z|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)$`;
const DATE_RE = new RegExp(DATE_PATTERN);
const INSTANT_RE = new RegExp(INSTANT_PATTERN);

function realDay(date: string): boolean {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate(); // day 0 of the next month: the last day of month m
  return d <= days;
}

/** A strict calendar day YYYY-MM-DD in 2000–2100 (2026-02-30 refused). */
export function isStrictDate(value: unknown): value is string {
  return typeof value === 'string' && DATE_RE.test(value) && realDay(value);
}

/** A strict RFC 3339 instant with an offset, on a real calendar day, in 2000–2100. */
export function isStrictInstant(value: unknown): value is string {
  return typeof value === 'string' && INSTANT_RE.test(value) && realDay(value.slice(0, 10)) && !Number.isNaN(Date.parse(value));
}

/** End of the working day (17:30 Asia/Shanghai, UTC+8 all year) of a date, as an ISO instant. */
export function endOfWorkingDay(date: string): string {
  return new Date(`${date}T17:30:00+08:00`).toISOString();
}

export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const UUID_V7_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$';
const UUID_RE = new RegExp(UUID_PATTERN);

/**
 * A list cursor as the API issues it: base64url (canonical, unpadded) of `<ISO instant>|<uuid>`. Checked strictly
 * here so that a forged cursor is a 400 naming `cursor`, never a value that reaches SQL.
 */
export function isCursor(value: unknown): boolean {
  if (typeof value !== 'string' || value.length === 0 || value.length > 200 || !/^[A-Za-z0-9_-]+$/.test(value)) return false;
  const buf = Buffer.from(value, 'base64url');
  if (buf.toString('base64url') !== value) return false; // not canonical: something the API never wrote
  const text = buf.toString('utf8');
  const parts = text.split('|');
  return parts.length === 2 && isStrictInstant(parts[0]) && UUID_RE.test(parts[1]!);
}

/** Strict number syntax for query strings: `-12`, `3.5`; not ``, ` 1`, `0x10`, `1e2`, `Infinity`. */
const DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;
const INTEGER = /^-?(?:0|[1-9]\d*)$/;

// ---------------------------------------------------------------------------------------------------------------
// Field kinds

const custom = (name: string, test: (value: unknown, args: ValidationArguments) => boolean, message: string | ((args: ValidationArguments) => string)) =>
  (opts: ValidationOptions = {}) => ValidateBy({ name, validator: { validate: test, defaultMessage: typeof message === 'string' ? () => message : message } }, opts);

const wellFormed = custom('wellFormedText', (v) => typeof v !== 'string' || isWellFormedText(v),
  (a) => `${a.property} must be well-formed Unicode text without NUL characters`);
const notBlank = custom('notBlank', (v) => typeof v !== 'string' || /\S/.test(v), (a) => `${a.property} must contain a non-whitespace character`);
const maxChars = (max: number) => custom('maxChars', (v) => typeof v !== 'string' || charLength(v) <= max,
  (a) => `${a.property} must be at most ${max} characters`);
const minChars = (min: number) => custom('minChars', (v) => typeof v !== 'string' || charLength(v) >= min,
  (a) => `${a.property} must be at least ${min} characters`);
const each = (e: boolean): ValidationOptions => (e ? { each: true } : {});

export interface TextOptions {
  max: number;
  min?: number;
  /** Allow a value of only whitespace (never for a required text). */
  blank?: boolean;
}

/** Text: a string of well-formed Unicode, at most `max` characters, with a non-whitespace character unless `blank`. */
export function text(o: TextOptions): FieldKind {
  const min = o.min ?? (o.blank ? 0 : 1);
  return {
    schema: { type: 'string', maxLength: o.max, ...(min > 0 ? { minLength: min } : {}), ...(o.blank ? {} : { pattern: '\\S' }) },
    validators: (e) => [IsString(each(e)), wellFormed(each(e)), maxChars(o.max)(each(e)),
      ...(min > 0 ? [minChars(min)(each(e))] : []), ...(o.blank ? [] : [notBlank(each(e))])],
  };
}

/** A code with a fixed syntax (a region, unit or category code …): a string matching `pattern`. */
export function code(pattern: RegExp, o: { maxLength: number; minLength?: number; message?: string }): FieldKind {
  if (!pattern.source.startsWith('^') || !pattern.source.endsWith('$')) throw new Error(`code pattern ${pattern} must be anchored`);
  return {
    // the lengths repeat what the pattern implies, for readers and generators of the document
    schema: { type: 'string', pattern: pattern.source, maxLength: o.maxLength, ...(o.minLength ? { minLength: o.minLength } : {}) },
    validators: (e) => [IsString(each(e)), Matches(pattern, { ...each(e), ...(o.message ? { message: o.message } : {}) })],
  };
}

export function int(o: { min: number; max: number }): FieldKind {
  return {
    schema: { type: 'integer', minimum: o.min, maximum: o.max },
    validators: (e) => [IsInt(each(e)), Min(o.min, each(e)), Max(o.max, each(e))],
    fromQuery: (v) => (INTEGER.test(v) ? Number(v) : v),
  };
}

/** A finite number (NaN and ±Infinity refused) within [min, max]. */
export function num(o: { min: number; max: number }): FieldKind {
  return {
    schema: { type: 'number', minimum: o.min, maximum: o.max },
    validators: (e) => [IsNumber({ allowNaN: false, allowInfinity: false }, each(e)), Min(o.min, each(e)), Max(o.max, each(e))],
    fromQuery: (v) => (DECIMAL.test(v) ? Number(v) : v),
  };
}

export function oneOf<const T extends readonly string[]>(values: T): FieldKind {
  return {
    schema: { type: 'string', enum: [...values] },
    validators: (e) => [IsIn([...values], { ...each(e), message: (a: ValidationArguments) => `${a.property} must be one of: ${values.join(', ')}` })],
  };
}

export function bool(): FieldKind {
  return {
    schema: { type: 'boolean' },
    validators: (e) => [IsBoolean(each(e))],
    fromQuery: (v) => (v === 'true' ? true : v === 'false' ? false : v),
  };
}

export function uuid(o: { version?: 7 } = {}): FieldKind {
  const pattern = o.version === 7 ? UUID_V7_PATTERN : UUID_PATTERN;
  const message = o.version === 7 ? '$property must be a UUID v7 generated by the client' : '$property must be a UUID';
  return {
    schema: { type: 'string', format: 'uuid', pattern },
    validators: (e) => [IsString(each(e)), Matches(new RegExp(pattern), { ...each(e), message })],
    // PostgreSQL's uuid type ignores case: one id, one spelling (so duplicates and comparisons are exact)
    normalize: (v) => v.toLowerCase(),
  };
}

const instantCheck = custom('strictInstant', (v) => isStrictInstant(v),
  (a) => `${a.property} must be an RFC 3339 date-time with an offset (Z or ±hh:mm) on a real calendar day in 2000–2100`);
const dateCheck = custom('strictDate', (v) => isStrictDate(v), (a) => `${a.property} must be a real calendar day YYYY-MM-DD in 2000–2100`);

/** An instant: RFC 3339 with an explicit offset (`2026-11-23T09:30:00+08:00`, `…Z`). Kept as the string sent. */
export function instant(): FieldKind {
  return { schema: { type: 'string', format: 'date-time', pattern: INSTANT_PATTERN }, validators: (e) => [instantCheck(each(e))] };
}

/** A calendar day YYYY-MM-DD. */
export function dateOnly(): FieldKind {
  return { schema: { type: 'string', format: 'date', pattern: DATE_PATTERN }, validators: (e) => [dateCheck(each(e))] };
}

// ---------------------------------------------------------------------------------------------------------------
// Applying a kind to a property

function presence(p: Presence): Decorator[] {
  if (p.optional && p.nullable) return [IsOptional()];
  if (p.optional) return [ValidateIf((_, v) => v !== undefined)];
  if (p.nullable) return [ValidateIf((_, v) => v !== null), IsDefined()];
  return [IsDefined()];
}

function apiProperty(schema: Schema, p: Presence): Decorator {
  const { type, ...rest } = schema;
  const options = {
    ...rest,
    ...(type !== undefined ? { type } : {}),
    required: !p.optional,
    ...(p.nullable ? { nullable: true } : {}),
    ...(p.description ? { description: p.description } : {}),
    ...(p.example !== undefined ? { example: p.example } : {}),
  } as ApiPropertyOptions;
  return ApiProperty(options);
}

/** A property of the given kind. */
export function Field(kind: FieldKind, p: Presence = {}): Decorator {
  const fromQuery = kind.fromQuery;
  const normalize = kind.normalize;
  return applyDecorators(
    ...presence(p),
    ...(p.query && fromQuery ? [Transform(({ value }) => (typeof value === 'string' ? fromQuery(value) : value))] : []),
    ...(normalize ? [Transform(({ value }) => (typeof value === 'string' ? normalize(value) : value))] : []),
    ...kind.validators(false),
    apiProperty(kind.schema, p),
  );
}

export const Text = (o: TextOptions & Presence) => Field(text(o), o);
export const Code = (pattern: RegExp, o: { maxLength: number; minLength?: number; message?: string } & Presence) => Field(code(pattern, o), o);
export const Int = (o: { min: number; max: number } & Presence) => Field(int(o), o);
export const Num = (o: { min: number; max: number } & Presence) => Field(num(o), o);
export const Enum = <const T extends readonly string[]>(values: T, o: Presence = {}) => Field(oneOf(values), o);
export const Bool = (o: Presence = {}) => Field(bool(), o);
export const Uuid = (o: { version?: 7 } & Presence = {}) => Field(uuid(o), o);
export const Instant = (o: Presence = {}) => Field(instant(), o);
export const DateOnly = (o: Presence = {}) => Field(dateOnly(), o);

/**
 * An instant, or a calendar day meaning the end of that working day (17:30 Asia/Shanghai). A day is converted to the
 * instant before validation, so the handler always receives an instant.
 */
export function InstantOrDay(o: Presence = {}): Decorator {
  return applyDecorators(
    ...presence(o),
    Transform(({ value }) => (isStrictDate(value) ? endOfWorkingDay(value) : value)),
    custom('instantOrDay', (v) => isStrictInstant(v),
      (a) => `${a.property} must be an RFC 3339 date-time with an offset, or a date YYYY-MM-DD (17:30 Asia/Shanghai of that day), in 2000–2100`)(),
    ApiProperty({
      required: !o.optional,
      oneOf: [{ type: 'string', format: 'date-time', pattern: INSTANT_PATTERN }, { type: 'string', format: 'date', pattern: DATE_PATTERN }],
      description: o.description ?? 'An instant (RFC 3339 with offset), or a date meaning 17:30 Asia/Shanghai (end of the working day) of that date.',
    } as ApiPropertyOptions),
  );
}

/** A nested object validated by its own DTO class (arrays, strings and null refused). */
export function Nested(type: () => new () => object, o: Presence = {}): Decorator {
  return applyDecorators(
    ...presence(o),
    IsObject({ message: '$property must be an object' }),
    ValidateNested(),
    Type(type),
    // a property named `type` holding an arrow function is how @nestjs/swagger recognises a lazy type
    ApiProperty({ type: () => type(), required: !o.optional, ...(o.nullable ? { nullable: true } : {}), ...(o.description ? { description: o.description } : {}) }),
  );
}

/** An array of items of one kind, with a maximum length; `unique`: a repeated item is refused (a set of references). */
export function ArrayOf(item: FieldKind, o: { max: number; min?: number; unique?: boolean } & Presence): Decorator {
  return applyDecorators(
    ...presence(o),
    ...(item.normalize ? [Transform(({ value }) => (Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? item.normalize!(v) : v)) : value))] : []),
    IsArray(),
    ArrayMaxSize(o.max),
    ...(o.min ? [ArrayMinSize(o.min)] : []),
    ...(o.unique ? [ArrayUnique((v: unknown) => v, { message: '$property must not repeat an item' })] : []),
    ...item.validators(true),
    apiProperty({ type: 'array', items: item.schema, maxItems: o.max, ...(o.min ? { minItems: o.min } : {}), ...(o.unique ? { uniqueItems: true } : {}) }, o),
  );
}

const splitCsv = (v: string) => (v === '' ? [''] : v.split(','));

/**
 * A query parameter holding a comma-separated list (`?status=reported,accepted`), documented as an array in form style
 * without explode, which is what generated clients send. A repeated parameter is not that form: the input guard
 * (body-guard.ts) refuses every repeated query parameter before this runs.
 */
export function CsvOf(item: FieldKind, o: { max: number; min?: number } & Presence): Decorator {
  const fromQuery = item.fromQuery;
  return applyDecorators(
    ...presence(o),
    Transform(({ value }) => {
      if (typeof value !== 'string') return value;
      const list = splitCsv(value);
      return fromQuery ? list.map((v) => fromQuery(v)) : list;
    }),
    IsArray(),
    ArrayMaxSize(o.max),
    ...(o.min ? [ArrayMinSize(o.min)] : []),
    ...item.validators(true),
    apiProperty({ type: 'array', items: item.schema, maxItems: o.max, ...(o.min ? { minItems: o.min } : {}), style: 'form', explode: false }, o),
  );
}

/** The bounding box `minLng,minLat,maxLng,maxLat` (WGS84): exactly 4 finite numbers in range, min < max. */
export function BBox(o: Presence = {}): Decorator {
  const ok = (v: unknown) => Array.isArray(v) && v.length === 4 && v.every((n) => typeof n === 'number' && Number.isFinite(n))
    && v[0] >= -180 && v[2] <= 180 && v[1] >= -90 && v[3] <= 90 && v[0] < v[2] && v[1] < v[3];
  return applyDecorators(
    ...presence(o),
    Transform(({ value }) => (typeof value === 'string' ? value.split(',').map((s) => (DECIMAL.test(s) ? Number(s) : Number.NaN)) : value)),
    custom('bbox', ok, (a) => `${a.property} must be minLng,minLat,maxLng,maxLat: 4 numbers, lng in [-180, 180], lat in [-90, 90], min < max`)(),
    apiProperty({
      type: 'array', items: { type: 'number', minimum: -180, maximum: 180 }, minItems: 4, maxItems: 4, style: 'form', explode: false,
    }, { ...o, description: o.description ?? 'minLng,minLat,maxLng,maxLat (WGS84); lng in [-180, 180], lat in [-90, 90], min < max.' }),
  );
}

/** A list cursor returned by this API (`nextCursor`). */
export function Cursor(o: Presence = {}): Decorator {
  return applyDecorators(
    ...presence(o),
    custom('cursor', isCursor, '$property is not a cursor returned by this API')(),
    apiProperty({ type: 'string', maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' },
      { ...o, description: o.description ?? 'The `nextCursor` of the previous page, unchanged.' }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Nothing undeclared

/**
 * Refuses input a handler does not declare: query parameters where it takes no @Query() DTO, and a JSON body where it
 * takes no @Body() (a handler WITH a DTO already refuses unknown keys: forbidNonWhitelisted). Without it, GET
 * /categories?anything=1 or DELETE /admin/calendar/{date} with a body would answer 2xx, half-accepting the request.
 * Runs after authentication (global guards come first), before any pipe or handler.
 */
@Injectable()
export class DeclaredInputOnly implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<Request>();
    const keys = Object.keys((Reflect.getMetadata(ROUTE_ARGS_METADATA, ctx.getClass(), ctx.getHandler().name) ?? {}) as object);
    const takes = (type: RouteParamtypes) => keys.some((k) => k.startsWith(`${type}:`));
    const query = Object.keys(req.query ?? {});
    if (query.length > 0 && !takes(RouteParamtypes.QUERY)) {
      throw Problem.badRequest(`${query[0]}: this operation takes no query parameters`, [{ field: query[0]!, message: 'is not a parameter of this operation' }]);
    }
    const body: unknown = req.body;
    const empty = body === undefined || (body !== null && typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0);
    if (!empty && !takes(RouteParamtypes.BODY) && !takes(RouteParamtypes.FILE) && !takes(RouteParamtypes.FILES)) {
      const field = body !== null && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body)[0]! : 'body';
      throw Problem.badRequest(`${field}: this operation takes no request body`, [{ field, message: 'is not accepted: the operation takes no body' }]);
    }
    return true;
  }
}
