/**
 * Building blocks for the response shapes shared with clients. Every shape is a TypeBox schema — plain JSON Schema
 * (OpenAPI 3.1 compatible) — and its TypeScript type is derived from it, so there is one definition of each.
 * No framework imports here: the API, the worker and the web app all import this package.
 */
import { Type } from '@sinclair/typebox';
import type { ObjectOptions, TObject, TProperties, TSchema, TUnion, TNull, TUnsafe } from '@sinclair/typebox';

/**
 * A named response object. The title becomes its OpenAPI component name (`#/components/schemas/<title>`);
 * it is closed (additionalProperties false): a field the contract does not name is a contract violation.
 */
export function Shape<T extends TProperties>(title: string, properties: T, options: ObjectOptions = {}): TObject<T> {
  return Type.Object(properties, { ...options, title, additionalProperties: false });
}

/** An unnamed closed object (nested inside a Shape). */
export function Closed<T extends TProperties>(properties: T, options: ObjectOptions = {}): TObject<T> {
  return Type.Object(properties, { ...options, additionalProperties: false });
}

export function Nullable<T extends TSchema>(schema: T): TUnion<[T, TNull]> {
  return Type.Union([schema, Type.Null()]);
}

/** A string from a fixed list, as `enum` (what OpenAPI generators turn into a union of literals). */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string } = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}

/** An instant, RFC 3339 with an offset, as the API writes it (always UTC: `2026-11-23T01:30:00.000Z`). */
export const DateTime = (description?: string) => Type.String({ format: 'date-time', ...(description ? { description } : {}) });

/** A calendar day `YYYY-MM-DD`. */
export const DateOnly = (description?: string) => Type.String({ format: 'date', ...(description ? { description } : {}) });

export const Uuid = (description?: string) => Type.String({ format: 'uuid', ...(description ? { description } : {}) });

/** The same field list as a Shape, for building another Shape from it (detail = view + timeline). */
export type PropertiesOf<T> = T extends TObject<infer P> ? P : never;
