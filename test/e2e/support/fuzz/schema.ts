/**
 * The subset of OpenAPI 3 / JSON Schema the fuzz generator understands: type (or a list of types), nullable,
 * anyOf/oneOf/allOf, $ref to components.schemas, properties/required/additionalProperties, enum/const, pattern,
 * minLength/maxLength, minimum/maximum (and the exclusive forms of 3.0 and 3.1), multipleOf, items/minItems/maxItems,
 * format (uuid, date-time, date, time).
 */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  nullable?: boolean;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  multipleOf?: number;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  format?: string;
  example?: unknown;
  examples?: unknown[] | Record<string, unknown>;
  default?: unknown;
  description?: string;
}

export interface OpenApiParameter {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
  style?: string;
  explode?: boolean;
}

export interface OpenApiOperation {
  operationId?: string;
  parameters?: (OpenApiParameter | { $ref: string })[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> } | { $ref: string };
  security?: Record<string, string[]>[];
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, Schema>; parameters?: Record<string, OpenApiParameter>; requestBodies?: Record<string, unknown> };
  security?: Record<string, string[]>[];
}

export type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'array' | 'object';

/** Resolves `$ref`s and merges `allOf`, so the result's own keywords describe the value. */
export function resolve(doc: OpenApiDocument, schema: Schema | undefined, seen = new Set<string>()): Schema {
  if (!schema) return {};
  let s = schema;
  if (s.$ref) {
    if (seen.has(s.$ref)) return {};
    const name = /^#\/components\/schemas\/(.+)$/.exec(s.$ref)?.[1];
    const target = name ? doc.components?.schemas?.[decodeURIComponent(name)] : undefined;
    const { $ref: _ref, ...siblings } = s;
    s = { ...resolve(doc, target, new Set([...seen, s.$ref])), ...siblings };
  }
  if (s.allOf?.length) {
    const { allOf, ...rest } = s;
    let merged: Schema = {};
    for (const part of allOf.map((p) => resolve(doc, p, seen))) {
      merged = {
        ...merged, ...part,
        properties: { ...merged.properties, ...part.properties },
        required: [...(merged.required ?? []), ...(part.required ?? [])],
      };
    }
    s = { ...merged, ...rest, properties: { ...merged.properties, ...rest.properties }, required: [...(merged.required ?? []), ...(rest.required ?? [])] };
  }
  return s;
}

/** The JSON types a value may have; null when the schema does not say (anything goes). */
export function allowedTypes(doc: OpenApiDocument, schema: Schema): Set<JsonType> | null {
  const s = resolve(doc, schema);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives?.length) {
    const out = new Set<JsonType>();
    for (const alt of alternatives) {
      const t = allowedTypes(doc, alt);
      if (t === null) return null;
      t.forEach((x) => out.add(x));
    }
    if (s.nullable) out.add('null');
    return out;
  }
  let types: JsonType[] | null = null;
  if (s.type) types = (Array.isArray(s.type) ? s.type : [s.type]) as JsonType[];
  else if (s.enum?.length || s.const !== undefined) types = [...new Set((s.enum ?? [s.const]).map(jsonType))];
  else if (s.properties && Object.keys(s.properties).length) types = ['object'];
  else if (s.items) types = ['array'];
  else if (s.format || s.pattern || s.maxLength !== undefined || s.minLength !== undefined) types = ['string'];
  if (!types) return null;
  const out = new Set(types);
  if (s.nullable) out.add('null');
  if (s.enum?.includes(null)) out.add('null');
  return out;
}

export function jsonType(v: unknown): JsonType {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v as JsonType;
}

/** Does a value of JSON type `t` fit one of `allowed`? (an integer is a number) */
export function typeFits(t: JsonType, allowed: Set<JsonType>): boolean {
  return allowed.has(t) || (t === 'integer' && allowed.has('number'));
}

/** The value alternatives of a schema (anyOf/oneOf members, resolved), or the schema itself. */
export function alternatives(doc: OpenApiDocument, schema: Schema): Schema[] {
  const s = resolve(doc, schema);
  const alts = s.anyOf ?? s.oneOf;
  return alts?.length ? alts.map((a) => resolve(doc, a)) : [s];
}

/** Is the schema a plain object with known properties (so its keys can be mutated one by one)? */
export function hasProperties(doc: OpenApiDocument, schema: Schema | undefined): boolean {
  const s = resolve(doc, schema);
  return !!s.properties && Object.keys(s.properties).length > 0;
}

/** A string of length `n` with no whitespace and one UTF-16 unit per character (so every length rule counts it the same). */
export function plainText(n: number, seed = 0): string {
  const pool = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789垃圾清运路边网格';
  let s = '';
  for (let i = 0; i < n; i++) s += pool[(seed + i * 7) % pool.length];
  return s;
}
