import { EVENT_ACTION_TYPES } from '#contracts';
import { EVENT_STATUSES, LEVELS, WARNINGS } from '#domain';
import { hasProperties, resolve } from './schema.js';
import type { OpenApiDocument, OpenApiOperation, OpenApiParameter, Schema } from './schema.js';

/** One operation of the OpenAPI document, with what the fuzz generator needs to know about it. */
export interface Operation {
  key: string; // `POST /api/v1/events`
  method: string;
  path: string; // the document's template, `/api/v1/events/{id}/actions`
  operationId?: string;
  secured: boolean;
  query: OpenApiParameter[];
  pathParams: OpenApiParameter[];
  body?: { schema: Schema; required: boolean; contentType: string };
  /** What came from FALLBACK because the document did not say it yet (printed, so it shows while the document fills in). */
  fallback: string[];
}

const UUID: Schema = { type: 'string', format: 'uuid' };
const num = (minimum: number, maximum: number): Schema => ({ type: 'number', minimum, maximum });

/**
 * Request shapes as the DTOs defined them when the document had none, used ONLY where the document still says nothing
 * (a body schema without properties, a parameter it does not list or lists without a schema). Wherever the document
 * speaks it is the one truth: nothing here is merged into a schema it gives. Each use is printed in the summary line.
 */
const FALLBACK: Record<string, { query?: Record<string, Schema & { 'x-required'?: boolean }>; path?: Record<string, Schema>; body?: Schema; contentType?: string }> = {
  'GET /api/v1/events': { query: {
    status: { type: 'string', pattern: `^(${EVENT_STATUSES.join('|')})(,(${EVENT_STATUSES.join('|')}))*$` },
    level: { type: 'string', enum: [...LEVELS] },
    regionCode: { type: 'string', pattern: '^\\d{2,18}$' },
    categoryCode: { type: 'string', pattern: '^\\d{2}(\\d{2})?$' },
    warning: { type: 'string', enum: [...WARNINGS] },
    bbox: { type: 'string', description: 'minLng,minLat,maxLng,maxLat' },
    q: { type: 'string', maxLength: 100 },
    updatedSince: { type: 'string', format: 'date-time' },
    cursor: { type: 'string', maxLength: 200 },
    limit: { type: 'integer', minimum: 1, maximum: 200 },
  } },
  'GET /api/v1/events/{id}': { path: { id: UUID } },
  'POST /api/v1/events': { body: {
    type: 'object', required: ['id', 'categoryCode', 'description', 'location'],
    properties: {
      id: { type: 'string', format: 'uuid', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' },
      categoryCode: { type: 'string', pattern: '^\\d{4}$' },
      description: { type: 'string', minLength: 1, maxLength: 2000 },
      location: { type: 'object', required: ['lng', 'lat'], properties: { lng: num(-180, 180), lat: num(-90, 90), crs: { type: 'string', enum: ['wgs84', 'gcj02'] } } },
      urgency: { type: 'string', enum: ['normal', 'urgent'] },
      address: { type: 'string', maxLength: 200 },
      attachmentIds: { type: 'array', maxItems: 9, items: UUID },
      resolvedOnSite: { type: 'boolean' },
    },
  } },
  'POST /api/v1/events/{id}/actions': { path: { id: UUID }, body: {
    type: 'object', required: ['type'],
    properties: {
      type: { type: 'string', enum: [...EVENT_ACTION_TYPES] },
      expectedVersion: { type: 'integer', minimum: 1 },
      unitCode: { type: 'string', maxLength: 40 },
      supportUnitCodes: { type: 'array', maxItems: 10, items: { type: 'string', maxLength: 40 } },
      note: { type: 'string', maxLength: 2000 },
      reason: { type: 'string', maxLength: 2000 },
      attachmentIds: { type: 'array', maxItems: 9, items: UUID },
      pass: { type: 'boolean' },
      score: { type: 'integer', minimum: 1, maximum: 5 },
      targetEventId: UUID,
      until: { type: 'string', format: 'date-time' },
    },
  } },
  'GET /api/v1/regions/locate': { query: { lng: { ...num(-180, 180), 'x-required': true }, lat: { ...num(-90, 90), 'x-required': true }, crs: { type: 'string', enum: ['wgs84', 'gcj02'] } } },
  'GET /api/v1/regions': { query: { parent: { type: 'string', pattern: '^\\d{2,15}$' } } },
  'GET /api/v1/map/regions': { query: { parent: { type: 'string', pattern: '^\\d{2,15}$' }, level: { type: 'string', enum: ['township', 'village', 'grid'] } } },
  'GET /api/v1/units': { query: { regionCode: { type: 'string', pattern: '^\\d{6,15}$' } } },
  'GET /api/v1/admin/calendar': { query: { year: { type: 'integer', minimum: 2000, maximum: 2100 } } },
  'PUT /api/v1/admin/calendar/{date}': { path: { date: { type: 'string', format: 'date' } }, body: {
    type: 'object', required: ['kind', 'name'],
    properties: { kind: { type: 'string', enum: ['holiday', 'workday'] }, name: { type: 'string', minLength: 1, maxLength: 40 } },
  } },
  'DELETE /api/v1/admin/calendar/{date}': { path: { date: { type: 'string', format: 'date' } } },
  'PUT /api/v1/admin/sla-rules': { body: {
    type: 'object', required: ['categoryCode', 'urgency', 'basis', 'acceptMinutes', 'signMinutes', 'handleMinutes', 'verifyMinutes'],
    properties: {
      categoryCode: { type: 'string', pattern: '^\\d{4}$', nullable: true },
      urgency: { type: 'string', enum: ['normal', 'urgent'] },
      basis: { type: 'string', enum: ['working', 'natural'] },
      acceptMinutes: num(0.001, 525600), signMinutes: num(0.001, 525600), handleMinutes: num(0.001, 525600), verifyMinutes: num(0.001, 525600),
      yellowRatio: num(0.01, 0.99), escalateGraceMinutes: num(0, 525600),
    },
  } },
  'POST /api/v1/auth/login': { body: { type: 'object', required: ['username', 'password'],
    properties: { username: { type: 'string', minLength: 1, maxLength: 100 }, password: { type: 'string', minLength: 1, maxLength: 200 } } } },
  'POST /api/v1/auth/refresh': { body: { type: 'object', required: ['refreshToken'], properties: { refreshToken: { type: 'string', minLength: 20, maxLength: 200 } } } },
  'POST /api/v1/auth/password': { body: { type: 'object', required: ['currentPassword', 'newPassword'],
    properties: { currentPassword: { type: 'string', minLength: 1, maxLength: 200 }, newPassword: { type: 'string', minLength: 1, maxLength: 200 } } } },
  'POST /api/v1/attachments': { contentType: 'multipart/form-data' },
  'GET /api/v1/attachments/{id}': { path: { id: UUID } },
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

function deref<T>(doc: OpenApiDocument, v: T | { $ref: string }): T {
  const ref = (v as { $ref?: string }).$ref;
  if (!ref) return v as T;
  const [, , section, name] = ref.split('/');
  return (doc.components as Record<string, Record<string, unknown>> | undefined)?.[section!]?.[name!] as T;
}

/** Every operation of the document, its parameters and body schema completed from FALLBACK where the document is silent. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    const shared = ((item as { parameters?: OpenApiOperation['parameters'] }).parameters ?? []);
    for (const method of METHODS) {
      const op = (item as Record<string, OpenApiOperation | undefined>)[method];
      if (!op) continue;
      const key = `${method.toUpperCase()} ${path}`;
      const fb = FALLBACK[key] ?? {};
      const fallback: string[] = [];
      const params = [...shared, ...(op.parameters ?? [])].map((p) => deref<OpenApiParameter>(doc, p));
      const byName = new Map(params.map((p) => [`${p.in}:${p.name}`, { ...p, schema: resolve(doc, p.schema) }]));
      for (const [where, table] of [['query', fb.query ?? {}], ['path', fb.path ?? {}]] as const) {
        for (const [name, fs] of Object.entries(table)) {
          const { 'x-required': required, ...schema } = fs as Schema & { 'x-required'?: boolean };
          const have = byName.get(`${where}:${name}`);
          if (!have) {
            fallback.push(`${where} ${name}`);
            byName.set(`${where}:${name}`, { name, in: where, required: where === 'path' || !!required, schema });
          } else if (Object.keys(have.schema ?? {}).length === 0) {
            fallback.push(`${where} ${name} schema`);
            byName.set(`${where}:${name}`, { ...have, schema });
          }
        }
      }
      const all = [...byName.values()];
      let body: Operation['body'];
      const rb = op.requestBody ? deref<{ required?: boolean; content?: Record<string, { schema?: Schema }> }>(doc, op.requestBody) : undefined;
      const contentType = rb?.content ? Object.keys(rb.content)[0] : fb.contentType ?? (fb.body ? 'application/json' : undefined);
      if (contentType) {
        const docSchema = resolve(doc, rb?.content?.[contentType]?.schema);
        let schema = docSchema;
        if (contentType === 'application/json' && fb.body && !hasProperties(doc, docSchema)) { schema = fb.body; fallback.push('body schema'); }
        if (!rb && fb.contentType) fallback.push(`body ${fb.contentType}`);
        body = { schema, required: rb?.required ?? true, contentType };
      }
      const security = op.security ?? doc.security ?? [];
      ops.push({
        key, method: method.toUpperCase(), path, operationId: op.operationId,
        secured: security.length > 0 && !security.some((s) => Object.keys(s).length === 0),
        query: all.filter((p) => p.in === 'query'), pathParams: all.filter((p) => p.in === 'path'), body, fallback,
      });
    }
  }
  return ops;
}
