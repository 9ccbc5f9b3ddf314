import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { idCheckCharacter } from '#contracts';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: unknown) => void;
import type request from 'supertest';
import type { Response } from 'supertest';
import { newId, pointIn, startApi, waitFor } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

// The OpenAPI document at /docs-json is the contract clients are generated from. (a) It is complete: every operation
// names its success and error statuses, every body and parameter has a schema, every error is problem+json, every
// secured route says so. (b) It is true: a tour of the real API checks each answer's status is documented and its
// body matches the document's schema for that status — response objects are closed (additionalProperties: false),
// so a field the contract does not name fails here.
jest.setTimeout(90_000);

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const PROBLEM_REF = '#/components/schemas/Problem';

const DIPU = '330523001';            // 递铺街道
const GRID = '330523001002001';      // 苕秀社区 第1网格
const GW = `gw.${GRID}`;
const TW = `tw.${DIPU}`;
const JG = `${DIPU}-JG`;
const HANDLER = `h.${JG}`;

let api: ApiHarness;
let doc: Json;
let ajv: InstanceType<typeof Ajv2020>;
const validators = new Map<string, ValidateFunction>();

beforeAll(async () => {
  api = await startApi('openapi');
  const res = await api.http().get('/docs-json');
  expect(res.status).toBe(200);
  doc = res.body;
  ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  ajv.addVocabulary(['example']); // OpenAPI annotation
  addFormats(ajv);
  // the document's schemas as one JSON Schema resource: `#/components/schemas/X` is `openapi#/$defs/X`
  const defs = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('"#/components/schemas/', '"#/$defs/')) as Json;
  ajv.addSchema({ $id: 'openapi', $defs: defs } as Json);
}, 120_000);
afterAll(async () => { await api?.close(); });

function operations(): { path: string; method: string; op: Json }[] {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    METHODS.filter((m) => (item as Json)[m]).map((method) => ({ path, method, op: (item as Json)[method] as Json })));
}

/** The schema of a documented response, as an ajv validator (refs resolve into the document's components). */
function validatorFor(schema: Json): ValidateFunction {
  const key = JSON.stringify(schema);
  let v = validators.get(key);
  if (!v) {
    const rewritten = JSON.parse(key.replaceAll('"#/components/schemas/', '"openapi#/$defs/')) as Json;
    v = ajv.compile(rewritten);
    validators.set(key, v);
  }
  return v;
}

/** The templated path of the document an actual request path matches. */
function templateOf(method: string, actual: string): string {
  const path = actual.split('?')[0]!;
  for (const [template, item] of Object.entries(doc.paths as Json)) {
    if (!(item as Json)[method]) continue;
    const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (re.test(path)) return template;
  }
  throw new Error(`${method.toUpperCase()} ${path} is not in the document`);
}

/** Asserts that the answer's status is documented for the operation and its body matches the documented schema. */
function conforms(method: string, path: string, res: Response): Response {
  const template = templateOf(method, path);
  const responses = doc.paths[template][method].responses as Json;
  const documented = responses[String(res.status)] as Json | undefined;
  if (!documented) throw new Error(`${method.toUpperCase()} ${template} answered ${res.status}, which the document does not list: ${res.text?.slice(0, 300)}`);
  const mediaType = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (!documented.content) {
    expect(res.text ?? '').toBe('');
    return res;
  }
  const media = documented.content[mediaType] as Json | undefined;
  if (!media) throw new Error(`${method.toUpperCase()} ${template} ${res.status} answered ${mediaType}; documented: ${Object.keys(documented.content).join(', ')}`);
  if (media.schema?.format === 'binary') {
    expect(Buffer.isBuffer(res.body) ? res.body.length : (res.text ?? '').length).toBeGreaterThan(0);
    return res;
  }
  const body = JSON.parse(res.text);
  const validate = validatorFor(media.schema);
  if (!validate(body)) {
    throw new Error(`${method.toUpperCase()} ${template} ${res.status} does not match its schema:\n${JSON.stringify(validate.errors, null, 1).slice(0, 2000)}\nbody: ${res.text.slice(0, 1000)}`);
  }
  return res;
}

/**
 * The request side of the truth: a JSON body the server accepts (2xx) must be valid by the document's request schema,
 * and one the document refuses must be refused by the server (4xx) — so the request schemas are neither stricter nor
 * looser than the validation for what the tour sends.
 */
function requestAgrees(method: string, path: string, body: unknown, res: Response): Response {
  const template = templateOf(method, path);
  const schema = doc.paths[template][method].requestBody?.content?.['application/json']?.schema as Json | undefined;
  if (!schema) return res;
  const validate = validatorFor(schema);
  const valid = validate(body);
  const where = `${method.toUpperCase()} ${template} ${JSON.stringify(body).slice(0, 200)} → ${res.status}`;
  if (res.status < 300 && !valid) throw new Error(`${where}: accepted by the server, refused by the document: ${JSON.stringify(validate.errors).slice(0, 600)}`);
  if (!valid) expect([where, res.status >= 400 && res.status < 500]).toEqual([where, true]);
  return res;
}

/** A client that checks every answer against the document. */
async function client(username: string) {
  const c = await api.as(username);
  return {
    get: async (url: string) => conforms('get', `/api/v1${url}`, await c.get(url)),
    post: async (url: string, body: unknown) => requestAgrees('post', `/api/v1${url}`, body, conforms('post', `/api/v1${url}`, await c.post(url, body))),
    put: async (url: string, body: unknown) => requestAgrees('put', `/api/v1${url}`, body, conforms('put', `/api/v1${url}`, await c.put(url, body))),
    del: async (url: string) => conforms('delete', `/api/v1${url}`, await c.del(url)),
    upload: async (buf: Buffer, name: string) => conforms('post', '/api/v1/attachments', await c.upload(buf, name)),
  };
}

function expectStatus(res: Response, status: number, field?: string) {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  if (field !== undefined) expect((JSON.parse(res.text) as { errors?: { field: string }[] }).errors?.map((e) => e.field)).toContain(field);
  return res;
}

describe('the document is complete', () => {
  it('is OpenAPI 3.1, served as a page at /docs, and every $ref resolves', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const page = await api.http().get('/docs/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    for (const { path, method, op } of operations()) expect([method, path, typeof op.summary, op.tags?.length]).toEqual([method, path, 'string', 1]);
    const refs = new Set<string>();
    const walk = (n: unknown) => {
      if (Array.isArray(n)) n.forEach(walk);
      else if (n && typeof n === 'object') for (const [k, v] of Object.entries(n)) (k === '$ref' ? refs.add(v as string) : walk(v));
    };
    walk(doc);
    expect(refs.size).toBeGreaterThan(10);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\/[A-Za-z]+$/);
      expect(doc.components.schemas[ref.split('/').pop()!]).toBeDefined();
    }
  });

  it('every operation lists its success status, 400, 401 when secured, 413/415 when it takes a body', () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThanOrEqual(23);
    for (const { path, method, op } of ops) {
      const statuses = Object.keys(op.responses ?? {});
      const where = `${method.toUpperCase()} ${path}`;
      expect([where, statuses.some((s) => /^2\d\d$/.test(s))]).toEqual([where, true]);
      expect([where, statuses]).toEqual([where, expect.arrayContaining(['400'])]);
      if (op.security?.length) expect([where, statuses]).toEqual([where, expect.arrayContaining(['401'])]);
      if (op.requestBody) expect([where, statuses]).toEqual([where, expect.arrayContaining(['413', '415'])]);
    }
    const statusesOf = (m: string, p: string) => Object.keys(doc.paths[`/api/v1${p}`][m].responses).sort();
    // a resent report is 200, a new one 201; both are the event
    expect(statusesOf('post', '/events')).toEqual(expect.arrayContaining(['200', '201', '403', '409', '422']));
    expect(doc.paths['/api/v1/events'].post.responses['200'].content['application/json'].schema)
      .toEqual(doc.paths['/api/v1/events'].post.responses['201'].content['application/json'].schema);
    expect(statusesOf('post', '/events/{id}/actions')).toEqual(expect.arrayContaining(['201', '403', '404', '409', '422']));
    expect(statusesOf('post', '/attachments')).toEqual(expect.arrayContaining(['201', '413', '415']));
    expect(statusesOf('delete', '/admin/calendar/{date}')).toEqual(expect.arrayContaining(['204', '403', '404']));
    expect(Object.keys(doc.paths['/health/ready'].get.responses)).toContain('503');
  });

  it('every error is application/problem+json with the Problem schema; every 2xx body references a schema', () => {
    for (const { path, method, op } of operations()) {
      for (const [status, r] of Object.entries(op.responses as Json)) {
        const where = `${method.toUpperCase()} ${path} ${status}`;
        expect([where, typeof (r as Json).description]).toEqual([where, 'string']);
        const content = (r as Json).content as Json | undefined;
        if (Number(status) >= 400) {
          expect([where, content]).toEqual([where, { 'application/problem+json': { schema: { $ref: PROBLEM_REF } } }]);
        } else if (status === '204') {
          expect([where, content]).toEqual([where, undefined]);
        } else {
          expect([where, content && Object.keys(content).length > 0]).toEqual([where, true]);
          for (const [mediaType, media] of Object.entries(content!)) {
            const schema = (media as Json).schema as Json;
            if (mediaType === 'application/json') expect([where, schema.$ref]).toEqual([where, expect.stringMatching(/^#\/components\/schemas\//)]);
            else expect([where, schema]).toEqual([where, { type: 'string', format: 'binary' }]);
          }
        }
      }
    }
    const problem = doc.components.schemas.Problem as Json;
    expect(problem.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'instance']));
    expect(problem.properties.errors.items.required).toEqual(['field', 'message']);
  });

  it('every request body and parameter has a non-empty schema; request objects refuse unknown fields', () => {
    const nonEmpty = (s: Json | undefined) => !!s && (typeof s.type === 'string' || Array.isArray(s.type) || !!s.$ref || !!s.oneOf || !!s.anyOf);
    let params = 0;
    for (const { path, method, op } of operations()) {
      for (const p of (op.parameters ?? []) as Json[]) {
        params++;
        const where = `${method.toUpperCase()} ${path} ${p.in} ${p.name}`;
        expect([where, nonEmpty(p.schema)]).toEqual([where, true]);
        if (p.in === 'path') expect([where, p.required]).toEqual([where, true]);
      }
      for (const m of path.matchAll(/\{([^}]+)\}/g)) {
        expect((op.parameters as Json[]).some((p) => p.in === 'path' && p.name === m[1])).toBe(true);
      }
      if (op.requestBody) {
        for (const [mediaType, media] of Object.entries(op.requestBody.content as Json)) {
          const where = `${method.toUpperCase()} ${path} ${mediaType}`;
          expect([where, nonEmpty((media as Json).schema)]).toEqual([where, true]);
        }
      }
    }
    expect(params).toBeGreaterThanOrEqual(20);
    for (const [name, schema] of Object.entries(doc.components.schemas as Json)) {
      if (!name.endsWith('Dto')) continue;
      expect([name, schema.additionalProperties]).toEqual([name, false]);
      for (const [prop, s] of Object.entries(schema.properties as Json)) {
        const where = `${name}.${prop}`;
        expect([where, nonEmpty(s as Json)]).toEqual([where, true]);
        // every string is bounded: a length, a pattern, an enum or a format with a pattern
        const strings = [s, ...((s as Json).oneOf ?? []), (s as Json).items].filter((x: Json | undefined) => x && (x.type === 'string' || (Array.isArray(x.type) && x.type.includes('string'))));
        for (const str of strings as Json[]) {
          if (str.format === 'binary') continue;
          expect([where, !!(str.maxLength || str.enum || str.pattern)]).toEqual([where, true]);
        }
        const numbers = [s, (s as Json).items].filter((x: Json | undefined) => x && (x.type === 'number' || x.type === 'integer'));
        for (const n of numbers as Json[]) expect([where, typeof n.minimum, typeof n.maximum]).toEqual([where, 'number', 'number']);
      }
    }
  });

  it('response objects are closed: additionalProperties false on every object of every response schema', () => {
    const open: string[] = [];
    const walk = (n: Json, at: string) => {
      if (n.type === 'object' && n.additionalProperties !== false && !n.patternProperties) open.push(at);
      for (const [k, v] of Object.entries(n)) {
        if (Array.isArray(v)) v.forEach((x, i) => x && typeof x === 'object' && walk(x, `${at}.${k}[${i}]`));
        else if (v && typeof v === 'object') walk(v as Json, `${at}.${k}`);
      }
    };
    for (const [name, schema] of Object.entries(doc.components.schemas as Json)) walk(schema as Json, name);
    expect(open).toEqual([]);
  });

  it('security is what the server enforces: secured operations answer 401 without a token, public ones do not', async () => {
    for (const { path, method, op } of operations()) {
      const url = path.replace('{id}', newId()).replace('{date}', '2026-10-10');
      const res = await (api.http() as unknown as Record<string, (u: string) => Response & PromiseLike<Response>>)[method]!(url);
      const where = `${method.toUpperCase()} ${path}`;
      if (op.security?.length) {
        expect([where, res.status]).toEqual([where, 401]);
        conforms(method, url, res);
      } else {
        expect([where, res.status]).not.toEqual([where, 401]);
      }
    }
  });
});

describe('nothing undeclared', () => {
  it('every operation, present and future, refuses a query parameter the document does not declare (400 naming it)', async () => {
    const token = await api.token('admin');
    for (const { path, method } of operations()) {
      const url = `${path.replace('{id}', newId()).replace('{date}', '2026-10-14')}?zz_undeclared=1`;
      const res = await (api.http() as unknown as Record<string, (u: string) => request.Test>)[method]!(url).set('Authorization', `Bearer ${token}`);
      const where = `${method.toUpperCase()} ${path}`;
      expect([where, res.status]).toEqual([where, 400]);
      conforms(method, url, res);
      expect([where, (JSON.parse(res.text) as { errors?: { field: string }[] }).errors?.map((e) => e.field)]).toEqual([where, expect.arrayContaining(['zz_undeclared'])]);
    }
  });
});

describe('the document is true: a tour of the API validated against it', () => {
  it('auth: login, refresh, me, password change and logout', async () => {
    const login = conforms('post', '/api/v1/auth/login', await api.http().post('/api/v1/auth/login').send({ username: GW, password: 'Grid141!demo' }));
    expectStatus(login, 200);
    const refreshed = conforms('post', '/api/v1/auth/refresh', await api.http().post('/api/v1/auth/refresh').send({ refreshToken: login.body.refreshToken }));
    expectStatus(refreshed, 200);
    const me = conforms('get', '/api/v1/me', await api.http().get('/api/v1/me').set('Authorization', `Bearer ${refreshed.body.accessToken}`));
    expect(me.body).toMatchObject({ username: GW, role: 'grid_worker' });
    // problems of the auth routes
    expectStatus(conforms('post', '/api/v1/auth/login', await api.http().post('/api/v1/auth/login').send({ username: GW, password: 'wrong password' })), 401);
    expectStatus(conforms('post', '/api/v1/auth/login', await api.http().post('/api/v1/auth/login').send({ username: '   ', password: 'x' })), 400, 'username');
    expectStatus(conforms('post', '/api/v1/auth/refresh', await api.http().post('/api/v1/auth/refresh').send({ refreshToken: login.body.refreshToken })), 401);

    // a user of its own for the password change (it ends every session of the user)
    const other = `gw.${DIPU}002002`;
    const own = await api.http().post('/api/v1/auth/login').send({ username: other, password: 'Grid141!demo' });
    expectStatus(own, 200);
    const bearer = { Authorization: `Bearer ${own.body.accessToken}` };
    expectStatus(conforms('post', '/api/v1/auth/password', await api.http().post('/api/v1/auth/password').set(bearer)
      .send({ currentPassword: 'not it', newPassword: 'Harbour-Lantern-2026x' })), 422, 'currentPassword');
    const changed = conforms('post', '/api/v1/auth/password', await api.http().post('/api/v1/auth/password').set(bearer)
      .send({ currentPassword: 'Grid141!demo', newPassword: 'Harbour-Lantern-2026x' }));
    expectStatus(changed, 200);
    const out = conforms('post', '/api/v1/auth/logout', await api.http().post('/api/v1/auth/logout').set('Authorization', `Bearer ${changed.body.accessToken}`));
    expectStatus(out, 204);
    expectStatus(conforms('get', '/api/v1/me', await api.http().get('/api/v1/me').set('Authorization', `Bearer ${changed.body.accessToken}`)), 401);
  });

  it('events: upload, report, resend, list, page, get, act (extension until a date), and their problems', async () => {
    const sharp = (await import('sharp')).default;
    const png = await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: 200, g: 40, b: 10 } } }).png().toBuffer();
    const gw = await client(GW);
    const photo = expectStatus(await gw.upload(png, 'photo.png'), 201).body;
    expect(photo).toMatchObject({ mime: 'image/jpeg', width: 32, height: 24 });
    expectStatus(await gw.upload(Buffer.from('not an image at all'), 'x.png'), 415);

    const at = await pointIn(api.db, GRID);
    const head = expectStatus(await gw.get('/changes'), 200).body as { items: unknown[]; nextCursor: string };
    expect(head.items).toEqual([]);
    const report = { id: newId(), categoryCode: '0901', description: '路边暴露垃圾，需清运', location: { lng: at.lng, lat: at.lat }, attachmentIds: [photo.id] };
    const created = expectStatus(await gw.post('/events', report), 201).body;
    // the change feed (its items carry the event view) conforms too
    // the feed shows a change once every transaction older than it has ended — cluster-wide, so another database's
    // open transaction (a parallel test run) can hold it back for a moment: wait for it with a deadline
    await waitFor('the report in the change feed', async () => {
      const changes = expectStatus(await gw.get(`/changes?after=${head.nextCursor}&limit=50`), 200).body as { items: { event: { id: string } }[] };
      return changes.items.some((c) => c.event.id === created.id);
    });
    expectStatus(await gw.get('/changes?after=not-a-cursor'), 400, 'after');
    // the check can fail: an undocumented field, a missing one or a wrong type is refused by the document's schema
    const eventView = validatorFor({ $ref: '#/components/schemas/EventView' });
    expect(eventView(created)).toBe(true);
    expect(eventView({ ...created, involvedUnitCodes: [] })).toBe(false);
    const { remainingMinutes: _dropped, ...missing } = created;
    expect(eventView(missing)).toBe(false);
    expect(eventView({ ...created, createdAt: '2026-11-23 09:30' })).toBe(false);
    const again = expectStatus(await gw.post('/events', report), 200).body;
    expect(again.id).toBe(created.id);
    expectStatus(await gw.post('/events', { ...report, id: newId(), categoryCode: '0999' }), 422, 'categoryCode');
    expectStatus(await gw.post('/events', { ...report, id: newId(), description: ' \n\t ' }), 400, 'description');
    expectStatus(await (await client(HANDLER)).post('/events', { ...report, id: newId() }), 403);
    await gw.post('/events', { ...report, id: newId(), attachmentIds: [] });

    const tw = await client(TW);
    const page = expectStatus(await tw.get('/events?limit=1&status=reported,accepted'), 200).body;
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor).toEqual(expect.any(String));
    const next = expectStatus(await tw.get(`/events?limit=1&cursor=${page.nextCursor}`), 200).body;
    expect(next.items[0].id).not.toBe(page.items[0].id);
    const bbox = `${at.lng - 0.01},${at.lat - 0.01},${at.lng + 0.01},${at.lat + 0.01}`;
    expect(expectStatus(await tw.get(`/events?bbox=${bbox}&updatedSince=2026-01-01T00:00:00%2B08:00`), 200).body.items.length).toBeGreaterThan(0);

    const detail = expectStatus(await tw.get(`/events/${created.id}`), 200).body;
    expect(detail.timeline).toHaveLength(1);
    expectStatus(await tw.get(`/events/${newId()}`), 404);

    expectStatus(await tw.post(`/events/${created.id}/actions`, { type: 'accept', expectedVersion: 1 }), 201);
    expectStatus(await tw.post(`/events/${created.id}/actions`, { type: 'dispatch', unitCode: JG, expectedVersion: 1 }), 409);
    expectStatus(await tw.post(`/events/${created.id}/actions`, { type: 'dispatch', unitCode: '330523001-XX' }), 422, 'unitCode');
    expectStatus(await tw.post(`/events/${created.id}/actions`, { type: 'dispatch', unitCode: JG }), 201);
    const handler = await client(HANDLER);
    expectStatus(await handler.post(`/events/${created.id}/actions`, { type: 'sign' }), 201);
    expectStatus(await gw.post(`/events/${created.id}/actions`, { type: 'feedback', note: '已处理' }), 403);
    // `until` as a date means 17:30 Asia/Shanghai (09:30Z) of that day
    // (within the 20-day extension cap of the default rule)
    const day = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    expectStatus(await handler.post(`/events/${created.id}/actions`, { type: 'request_extension', reason: '需协调', until: '2026-02-30' }), 400, 'until');
    const extended = expectStatus(await handler.post(`/events/${created.id}/actions`, { type: 'request_extension', reason: '需协调', until: day }), 201).body;
    expect(extended.extensionRequestedUntil).toBe(`${day}T09:30:00.000Z`);
    // the rest of the loop, so that the timeline carries every kind of action data the contract names
    expectStatus(await tw.post(`/events/${created.id}/actions`, { type: 'approve_extension', pass: true }), 201);
    expectStatus(await (await client('county.lead')).post(`/events/${created.id}/actions`, { type: 'supervise' }), 201);
    expectStatus(await (await client('county.op')).post(`/events/${created.id}/actions`, { type: 'urge', note: '请加快' }), 201);
    expectStatus(await handler.post(`/events/${created.id}/actions`, { type: 'feedback', note: '已清运', attachmentIds: [] }), 201);
    expectStatus(await tw.post(`/events/${created.id}/actions`, { type: 'verify', pass: true }), 201);
    expectStatus(await gw.post(`/events/${created.id}/actions`, { type: 'rate', score: 5 }), 201);
    const full = expectStatus(await tw.get(`/events/${created.id}`), 200).body;
    expect(full.timeline.map((t: { type: string }) => t.type)).toEqual(['report', 'accept', 'dispatch', 'sign', 'request_extension',
      'approve_extension', 'supervise', 'urge', 'feedback', 'verify', 'rate']);
    expect(full).toMatchObject({ status: 'closed', rating: 5, extendedUntil: `${day}T09:30:00.000Z`, supervised: true, urgeCount: 1 });

    // side paths: reject (reason), merge (targetEventId), suspend and resume, escalate (unitCode, reason)
    const another = async () => expectStatus(await gw.post('/events', { ...report, id: newId(), attachmentIds: [] }), 201).body as { id: string };
    const rejected = await another();
    expectStatus(await tw.post(`/events/${rejected.id}/actions`, { type: 'reject', reason: '重复上报' }), 201);
    const duplicate = await another();
    const target = await another();
    expectStatus(await tw.post(`/events/${duplicate.id}/actions`, { type: 'merge', targetEventId: target.id }), 201);
    expectStatus(await tw.post(`/events/${target.id}/actions`, { type: 'accept' }), 201);
    expectStatus(await tw.post(`/events/${target.id}/actions`, { type: 'suspend', reason: '等待天气' }), 201);
    expectStatus(await tw.post(`/events/${target.id}/actions`, { type: 'resume' }), 201);
    expectStatus(await tw.post(`/events/${target.id}/actions`, { type: 'escalate', reason: '需县级部门' }), 201);
    for (const id of [rejected.id, duplicate.id, target.id]) expectStatus(await (await client('county.op')).get(`/events/${id}`), 200);
  });

  it('regions, map, units and categories', async () => {
    const tw = await client(TW);
    const tree = expectStatus(await tw.get('/regions'), 200).body;
    expect(tree.items.length).toBe(15);
    expectStatus(await tw.get(`/regions?parent=${DIPU}`), 200);
    const at = await pointIn(api.db, GRID);
    expect(expectStatus(await tw.get(`/regions/locate?lng=${at.lng}&lat=${at.lat}`), 200).body.gridCode).toBe(GRID);
    expectStatus(await tw.get('/regions/locate?lng=120.15&lat=30.28'), 422, 'lng');
    expectStatus(await tw.get(`/regions/locate?lng=&lat=${at.lat}`), 400, 'lng');
    const map = expectStatus(await tw.get('/map/regions'), 200).body;
    expect(map.features.length).toBeGreaterThan(0);
    expectStatus(await tw.get(`/map/regions?level=village&parent=${DIPU}`), 200);
    expectStatus(await tw.get(`/map/regions?level=grid&parent=${DIPU}002`), 200);
    expectStatus(await tw.get('/map/regions?level=grid'), 400, 'parent');
    expect(expectStatus(await tw.get('/units'), 200).body.items.length).toBeGreaterThan(0);
    expectStatus(await tw.get('/units?regionCode=330523'), 200);
    expect(expectStatus(await tw.get('/categories'), 200).body.items.length).toBeGreaterThan(10);
  });

  it('admin: SLA rules and the calendar, and their problems', async () => {
    const admin = await client('admin');
    const rules = expectStatus(await admin.get('/admin/sla-rules'), 200).body;
    expect(rules.items.length).toBeGreaterThan(0);
    const rule = { categoryCode: '0901', urgency: 'normal', basis: 'working', acceptMinutes: 30, signMinutes: 30, handleMinutes: 600, verifyMinutes: 60 };
    expectStatus(await admin.put('/admin/sla-rules', rule), 200);
    expectStatus(await admin.put('/admin/sla-rules', { ...rule, categoryCode: null, urgency: 'urgent', basis: 'natural' }), 200);
    expectStatus(await admin.put('/admin/sla-rules', { ...rule, categoryCode: '0999' }), 422, 'categoryCode');
    expectStatus(await admin.put('/admin/sla-rules', { ...rule, acceptMinutes: 0 }), 400, 'acceptMinutes');
    expectStatus(await (await client(TW)).get('/admin/sla-rules'), 403);

    expect(expectStatus(await admin.get('/admin/calendar?year=2026'), 200).body.items.length).toBeGreaterThan(0);
    expectStatus(await admin.put('/admin/calendar/2026-10-10', { kind: 'workday', name: '调休' }), 200);
    expectStatus(await admin.del('/admin/calendar/2026-10-10'), 204);
    expectStatus(await admin.del('/admin/calendar/2026-10-10'), 404);
  });

  it('admin: people (create, search, get, edit, disable, enable, reset, personal data), and their problems', async () => {
    const admin = await client('admin');
    const first17 = '33052319900101777';
    const idNumber = first17 + idCheckCharacter(first17);
    const body = { displayName: '契约测试', role: 'grid_worker', unitCode: `${GRID}-WG`, jurisdictionCode: GRID, phone: '13800001777', idNumber };
    const created = expectStatus(await admin.post('/admin/users', body), 201).body;
    expectStatus(await admin.post('/admin/users', { ...body, phone: '13800001778', idNumber: null, jurisdictionCode: DIPU }), 422, 'jurisdictionCode');
    expectStatus(await admin.get('/admin/users?role=grid_worker&jurisdiction=330523001&disabled=false&q=gw&limit=3&offset=1'), 200);
    expect(expectStatus(await admin.post('/admin/users/lookup', { phone: '13800001777', idNumber }), 200).body.items).toHaveLength(1);
    const id = created.user.id as string;
    expectStatus(await admin.get(`/admin/users/${id}`), 200);
    expectStatus(await admin.get(`/admin/users/${newId()}`), 404);
    const patch = (b: unknown) => api.token('admin').then((t) => api.http().patch(`/api/v1/admin/users/${id}`).set('Authorization', `Bearer ${t}`).send(b as object));
    const patched = requestAgrees('patch', `/api/v1/admin/users/${id}`, { displayName: '契约测试二' },
      conforms('patch', `/api/v1/admin/users/${id}`, await patch({ displayName: '契约测试二' })));
    expectStatus(patched, 200);
    expectStatus(conforms('patch', `/api/v1/admin/users/${id}`, await patch({ role: 'handler' })), 422, 'unitCode');
    expectStatus(await admin.post(`/admin/users/${id}/disable`, {}), 200);
    expectStatus(await admin.post(`/admin/users/${id}/enable`, {}), 200);
    expectStatus(await admin.post(`/admin/users/${id}/reset-password`, {}), 200);
    expectStatus(await admin.get(`/admin/users/${id}/personal-data`), 422, 'reason');
    expectStatus(await admin.get(`/admin/users/${id}/personal-data?reason=${encodeURIComponent('核实')}`), 200);
    expectStatus(await (await client(TW)).get('/admin/users'), 403);

    // rosters: xlsx in (multipart) and out (binary)
    const ExcelJS = (await import('exceljs')).default;
    const wb = new ExcelJS.Workbook();
    const sheet = wb.addWorksheet('花名册');
    sheet.addRow(['姓名', '手机号', '身份证号', '所属网格/单位', '角色']);
    sheet.addRow(['契约花名册', '13800001779', '11010519491231002X', GRID, '网格员']);
    const roster = Buffer.from(await wb.xlsx.writeBuffer());
    const bearer = { Authorization: `Bearer ${await api.token('admin')}` };
    const upload = async (dryRun: string, buf: Buffer) => conforms('post', '/api/v1/admin/users/import',
      await api.http().post(`/api/v1/admin/users/import?dryRun=${dryRun}`).set(bearer).attach('file', buf, 'roster.xlsx'));
    expectStatus(await upload('true', roster), 200);
    expectStatus(await upload('false', roster), 200);
    expectStatus(await upload('false', Buffer.from('not a workbook')), 415);
    expectStatus(await upload('maybe', roster), 400, 'dryRun');
    const exported = await api.http().get('/api/v1/admin/users/export?format=xlsx').set(bearer).buffer(true)
      .parse((r, cb) => { const chunks: Buffer[] = []; r.on('data', (c: Buffer) => chunks.push(c)); r.on('end', () => cb(null, Buffer.concat(chunks))); });
    expectStatus(conforms('get', '/api/v1/admin/users/export', exported), 200);
  });

  it('health', async () => {
    expectStatus(conforms('get', '/health/live', await api.http().get('/health/live')), 200);
    expectStatus(conforms('get', '/health/ready', await api.http().get('/health/ready')), 200);
  });
});

describe('strict input in DTO fields: 400 naming the field, before SQL sees it', () => {
  it('dates and times: impossible days, missing offsets, out-of-range years', async () => {
    const admin = await client('admin');
    const tw = await client(TW);
    for (const date of ['2026-02-30', '2026-13-01', '2026-2-1', '1999-12-31', '2101-01-01', '20260101', '2026-02-29']) {
      expectStatus(await admin.put(`/admin/calendar/${date}`, { kind: 'holiday', name: 'x' }), 400, 'date');
      expectStatus(await admin.del(`/admin/calendar/${date}`), 400, 'date');
    }
    expectStatus(await admin.put('/admin/calendar/2028-02-29', { kind: 'holiday', name: '闰日' }), 200); // a leap day is a day
    for (const since of ['2026-02-30T00:00:00Z', '2026-01-01T00:00:00', '2026-01-01', '2026-01-01T24:00:00Z', '1970-01-01T00:00:00Z',
      '2026-01-01T00:00:00+8', 'yesterday', '']) {
      expectStatus(await tw.get(`/events?updatedSince=${encodeURIComponent(since)}`), 400, 'updatedSince');
    }
  });

  it('query numbers, lists, bbox and cursors', async () => {
    const tw = await client(TW);
    for (const limit of ['', '0', '201', '1.5', '0x10', '1e2', ' 5', 'NaN']) expectStatus(await tw.get(`/events?limit=${encodeURIComponent(limit)}`), 400, 'limit');
    for (const bbox of ['1,2,3', '1,2,3,4,5', '119,30,118,31', '119,31,120,30', '119,30,200,31', '119,-91,120,30', 'a,b,c,d', '119,30,,31', 'Infinity,30,120,31'])
      expectStatus(await tw.get(`/events?bbox=${encodeURIComponent(bbox)}`), 400, 'bbox');
    expectStatus(await tw.get('/events?status=reported,bogus'), 400, 'status');
    expectStatus(await tw.get('/events?status='), 400, 'status');
    expectStatus(await tw.get('/events?status=reported&status=accepted'), 400, 'status'); // the document says one comma-separated parameter
    const forged = (s: string) => Buffer.from(s).toString('base64url');
    for (const cursor of [forged(`2026-02-30T00:00:00.000Z|${newId()}`), forged(`2026-01-01T00:00:00.000|${newId()}`),
      forged(`2026-01-01T00:00:00.000Z|${newId()}|x`), forged('|'), `${forged(`2026-01-01T00:00:00.000Z|${newId()}`)}=`, 'a'])
      expectStatus(await tw.get(`/events?cursor=${encodeURIComponent(cursor)}`), 400, 'cursor');
    expectStatus(await tw.get(`/events?cursor=${forged(`2026-01-01T00:00:00.000Z|${newId()}`)}`), 200);
    expectStatus(await tw.get('/regions/locate?lng=119.6&lat=Infinity'), 400, 'lat');
    for (const year of ['2026.0', '1999', '2101', 'MMXXVI']) expectStatus(await (await client('admin')).get(`/admin/calendar?year=${year}`), 400, 'year');
  });

  it('bodies: null for an optional field, whitespace-only text, oversized lists', async () => {
    const gw = await client(GW);
    const at = await pointIn(api.db, GRID);
    const base = { id: newId(), categoryCode: '0901', description: '井盖缺失', location: { lng: at.lng, lat: at.lat } };
    expectStatus(await gw.post('/events', { ...base, urgency: null }), 400, 'urgency');
    expectStatus(await gw.post('/events', { ...base, address: '   ' }), 400, 'address');
    expectStatus(await gw.post('/events', { ...base, attachmentIds: Array.from({ length: 10 }, () => newId()) }), 400, 'attachmentIds');
    expectStatus(await gw.post('/events', { ...base, location: [at.lng, at.lat] }), 400, 'location');
    expectStatus(await gw.post('/events', { ...base, description: 'a\uD800b' }), 400, 'description');
    const dup = newId();
    expectStatus(await gw.post('/events', { ...base, attachmentIds: [dup, dup.toUpperCase()] }), 400, 'attachmentIds');
    // input an operation does not declare is refused, not ignored: query parameters, a body, a multipart field
    const tw0 = await client(TW);
    expectStatus(await tw0.get('/categories?all=1'), 400, 'all');
    expectStatus(await tw0.get(`/events/${newId()}?expand=timeline`), 400, 'expand');
    expectStatus(await tw0.post(`/events/${newId()}/actions?force=1`, { type: 'accept' }), 400, 'force');
    expectStatus(await tw0.get('/events?sort=asc'), 400, 'sort');
    expectStatus(conforms('get', '/health/live', await api.http().get('/health/live?verbose=1')), 400, 'verbose');
    expectStatus(await (await client('admin')).del('/admin/calendar/2026-10-14'), 404);
    expectStatus(conforms('delete', '/api/v1/admin/calendar/2026-10-14', await api.http().delete('/api/v1/admin/calendar/2026-10-14')
      .set('Authorization', `Bearer ${await api.token('admin')}`).send({ force: true })), 400, 'force');
    const sharp = (await import('sharp')).default;
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().toBuffer();
    expectStatus(conforms('post', '/api/v1/attachments', await api.http().post('/api/v1/attachments').set('Authorization', `Bearer ${await api.token(GW)}`)
      .attach('file', png, 'x.png').field('caption', 'x')), 400, 'caption');
    const ev = expectStatus(await gw.post('/events', base), 201).body;
    // a UUID has one spelling: the same id in upper case is the same report
    expect(expectStatus(await gw.post('/events', { ...base, id: base.id.toUpperCase() }), 200).body.id).toBe(ev.id);
    const tw = await client(TW);
    expectStatus(await tw.post(`/events/${ev.id}/actions`, { type: 'accept', expectedVersion: null }), 400, 'expectedVersion');
    expectStatus(await tw.post(`/events/${ev.id}/actions`, { type: 'reject', reason: '\u3000 ' }), 400, 'reason');
    expectStatus(await tw.post(`/events/${ev.id}/actions`, { type: 'dispatch', unitCode: 'JG' }), 400, 'unitCode');
  });
});
