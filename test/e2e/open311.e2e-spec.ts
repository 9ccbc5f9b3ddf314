import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Response } from 'supertest';
import { PiiCipher } from '#core';
import type { PiiField } from '#core';
import { pointIn, ROOT, rowCounts, startApi } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: unknown) => void;

// Outcome 4 of issue 10: an Open311 GeoReport v2 conformance test. Every endpoint in JSON and XML, every answer (errors
// included) validated against the GeoReport v2 JSON Schemas (test/e2e/open311/schemas, see its README for where each
// comes from); XML answers are read back into the spec's JSON form (Spark convention) and validated by the same schemas.
jest.setTimeout(120_000);

type Json = any;
const V2 = '/open311/v2';
const COUNTY = '330523';
const DIPU = '330523001';            // 递铺街道
const GRID = '330523001002001';      // 苕秀社区 第1网格
const TW = `tw.${DIPU}`;
const JG = `${DIPU}-JG`;
const H_JG = `h.${JG}`;
const SERVICE_USER = 'county.op';

let api: ApiHarness;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const SCHEMA_DIR = path.join(ROOT, 'test/e2e/open311/schemas');
const schemas = new Map<string, Json>();
for (const f of readdirSync(SCHEMA_DIR).filter((n) => n.endsWith('.json'))) {
  const s = JSON.parse(readFileSync(path.join(SCHEMA_DIR, f), 'utf8')) as Json;
  schemas.set(f, s);
  ajv.addSchema(s, f);
}
const validator = (name: string): ValidateFunction => ajv.getSchema(name)!;

// ---------------------------------------------------------------------------------------------------------------
// XML → the spec's JSON form, driven by the schema (lists by the Spark convention; booleans, numbers and nulls)

const ITEM_OF: Record<string, string> = {
  services: 'service', service_requests: 'request', errors: 'error', endpoints: 'endpoint', formats: 'format', attributes: 'attribute', values: 'value',
};
const xmlParser = new XMLParser({ parseTagValue: false, ignoreDeclaration: true, ignoreAttributes: true, trimValues: false,
  isArray: (name) => Object.values(ITEM_OF).includes(name) });

function resolve(schema: Json): Json {
  return schema?.$ref ? schemas.get(schema.$ref) : schema;
}

function coerce(node: unknown, schemaIn: Json, name: string): unknown {
  const schema = resolve(schemaIn);
  if (schema.anyOf) {
    const nullable = schema.anyOf.some((s: Json) => s.type === 'null');
    if (nullable && node === '') return null;
    return coerce(node, schema.anyOf.find((s: Json) => s.type !== 'null'), name);
  }
  if (schema.type === 'array') {
    if (node === '') return [];
    const items = (node as Record<string, unknown[]>)[ITEM_OF[name]!];
    if (!Array.isArray(items)) throw new Error(`<${name}> has no <${ITEM_OF[name]}> items: ${JSON.stringify(node)}`);
    return items.map((i) => coerce(i, schema.items, ITEM_OF[name]!));
  }
  if (schema.type === 'boolean') return node === 'true' ? true : node === 'false' ? false : node;
  if (schema.type === 'number' || schema.type === 'integer') return typeof node === 'string' && node.trim() !== '' && Number.isFinite(Number(node)) ? Number(node) : node;
  if (schema.properties || schema.type === 'object') {
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) out[k] = schema.properties?.[k] ? coerce(v, schema.properties[k], k) : v;
    return out;
  }
  return node;
}

/** A GeoReport JSON answer: status, media type, and valid by the schema. */
function fromJson(res: Response, status: number, schema: string): Json {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  const body = JSON.parse(res.text) as Json;
  const validate = validator(schema);
  if (!validate(body)) throw new Error(`${schema}: ${JSON.stringify(validate.errors, null, 1).slice(0, 1500)}\n${res.text.slice(0, 800)}`);
  return body;
}

/** A GeoReport XML answer: status, media type, declaration, root element; read into JSON form and valid by the schema. */
function fromXml(res: Response, status: number, schema: string, root: string): Json {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
  expect(res.text.startsWith('<?xml version="1.0" encoding="utf-8"?>')).toBe(true);
  expect(XMLValidator.validate(res.text)).toBe(true); // well-formed, not merely parseable
  const doc = xmlParser.parse(res.text) as Record<string, unknown>;
  expect(Object.keys(doc)).toEqual([root]);
  const body = coerce(doc[root], schemas.get(schema), root);
  const validate = validator(schema);
  if (!validate(body)) throw new Error(`${schema} (XML): ${JSON.stringify(validate.errors, null, 1).slice(0, 1500)}\n${res.text.slice(0, 800)}`);
  return body;
}

/** An error answer in both formats: the status, and descriptions matching `pattern` in each. */
async function expectError(call: (format: 'json' | 'xml') => Promise<Response>, status: number, pattern: RegExp): Promise<void> {
  const j = fromJson(await call('json'), status, 'errors.json');
  expect(j.map((e: Json) => e.code)).toContain(status);
  expect(j.map((e: Json) => e.description).join(' | ')).toMatch(pattern);
  const x = fromXml(await call('xml'), status, 'errors.json', 'errors');
  // the same errors (a description naming the path names its own format)
  expect(x.map((e: Json) => ({ ...e, description: e.description.replaceAll('.xml', '.json') }))).toEqual(j);
}

const get = (url: string) => api.http().get(url);

/** A POST of exact bytes (the test client would re-encode a body that is not UTF-8), answered as supertest would. */
async function rawBytes(url: string, type: string, body: Buffer): Promise<Response> {
  const server = api.app.getHttpServer() as Server;
  if (!server.listening) await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return new Promise((done, fail) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: url, method: 'POST', headers: { 'Content-Type': type, 'Content-Length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') } as unknown as Response));
    });
    req.on('error', fail);
    req.end(body);
  });
}
const postForm = (format: string, fields: Record<string, string | number>) =>
  api.http().post(`${V2}/requests.${format}`).type('form').send(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)])));

let apiKey: string;
let keyId: string;
let serviceUserId: string;
let at: { lng: number; lat: number };

async function issueKey(name: string, serviceUsername = SERVICE_USER): Promise<Response> {
  return (await api.as('admin')).post('/admin/open311-keys', { name, serviceUsername });
}

beforeAll(async () => {
  api = await startApi('open311');
  at = await pointIn(api.db, GRID);
  serviceUserId = (await api.db.query(`SELECT id FROM users WHERE username = $1`, [SERVICE_USER])).rows[0].id;
  const res = await issueKey('市民随手拍 App');
  expect(res.status).toBe(201);
  apiKey = res.body.apiKey;
  keyId = res.body.id;
}, 180_000);
afterAll(async () => { await api?.close(); });

/** Files a request through Open311 and returns the POST answer (JSON form). */
async function file(extra: Record<string, string | number> = {}, format: 'json' | 'xml' = 'json'): Promise<Json> {
  const res = await postForm(format, { api_key: apiKey, jurisdiction_id: COUNTY, service_code: '0901', lat: at.lat, long: at.lng,
    address_string: '递铺街道胜利西路口', description: '路边暴露垃圾，请清运', ...extra });
  const body = format === 'json' ? fromJson(res, 200, 'requests-post.json') : fromXml(res, 200, 'requests-post.json', 'service_requests');
  expect(body).toHaveLength(1);
  return body[0];
}

describe('discovery, services and service definitions', () => {
  it('discovery.json and discovery.xml name this GeoReport v2 endpoint with both formats', async () => {
    const j = fromJson(await get(`${V2}/discovery.json`), 200, 'discovery.json');
    const x = fromXml(await get(`${V2}/discovery.xml`), 200, 'discovery.json', 'discovery');
    // the same document (each request of the test client comes through another port: the URL's host differs)
    const hostless = (d: Json) => ({ ...d, endpoints: d.endpoints.map((e: Json) => ({ ...e, url: e.url.replace(/^http:\/\/[^/]+/, '') })) });
    expect(hostless(x)).toEqual(hostless(j));
    expect(j.endpoints).toHaveLength(1);
    expect(j.endpoints[0]).toMatchObject({ specification: 'http://wiki.open311.org/GeoReport_v2', type: 'production' });
    const county = (await api.db.query(`SELECT name FROM regions WHERE code = $1`, [COUNTY])).rows[0].name;
    expect(j.contact).toContain(county);
    expect(j.endpoints[0].url).toMatch(/^http:\/\/[^/]+\/open311\/v2$/);
    expect(j.endpoints[0].formats.sort()).toEqual(['application/json', 'text/xml']);
    // public reads are open to web apps of any origin; a POST is not
    expect((await get(`${V2}/services.json`)).headers['access-control-allow-origin']).toBe('*');
    expect((await postForm('json', { service_code: '0901' })).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('services are the active event categories (小类) grouped by 大类, the same in JSON and XML', async () => {
    const j = fromJson(await get(`${V2}/services.json`), 200, 'services.json');
    const x = fromXml(await get(`${V2}/services.xml?jurisdiction_id=${COUNTY}`), 200, 'services.json', 'services');
    expect(x).toEqual(j);
    const db = await api.db.query(`SELECT code, name, major_name FROM categories WHERE active AND is_event ORDER BY sort, code`);
    expect(j.map((s: Json) => s.service_code)).toEqual(db.rows.map((r: Json) => r.code));
    const c0901 = db.rows.find((r: Json) => r.code === '0901');
    expect(j.find((s: Json) => s.service_code === '0901')).toMatchObject({ service_name: c0901.name, group: c0901.major_name, metadata: false, type: 'realtime' });
    // an empty jurisdiction_id is the same as none (the spec's optional arguments)
    expect(fromJson(await get(`${V2}/services.json?jurisdiction_id=`), 200, 'services.json')).toEqual(j);
  });

  it('a category an administrator disables is no longer a service, and comes back when enabled', async () => {
    const code = (await api.db.query(`SELECT code FROM categories WHERE active AND is_event AND code <> '0901' ORDER BY code DESC LIMIT 1`)).rows[0].code;
    const token = await api.token('admin');
    expect((await api.http().patch(`/api/v1/admin/categories/${code}`).set('Authorization', `Bearer ${token}`).send({ active: false })).status).toBe(200);
    const off = fromJson(await get(`${V2}/services.json`), 200, 'services.json');
    expect(off.map((s: Json) => s.service_code)).not.toContain(code);
    await expectError((f) => get(`${V2}/services/${code}.${f}`), 404, new RegExp(`service_code ${code} not found`));
    expect((await api.http().patch(`/api/v1/admin/categories/${code}`).set('Authorization', `Bearer ${token}`).send({ active: true })).status).toBe(200);
    expect(fromJson(await get(`${V2}/services.json`), 200, 'services.json').map((s: Json) => s.service_code)).toContain(code);
  });

  it('a service definition has no extra attributes (metadata false); an unknown service_code is 404', async () => {
    const j = fromJson(await get(`${V2}/services/0901.json`), 200, 'service-definition.json');
    expect(j).toEqual({ service_code: '0901', attributes: [] });
    expect(fromXml(await get(`${V2}/services/0901.xml?jurisdiction_id=${COUNTY}`), 200, 'service-definition.json', 'service_definition')).toEqual(j);
    await expectError((f) => get(`${V2}/services/0000.${f}`), 404, /service_code 0000 not found/);
    await expectError((f) => get(`${V2}/services/abc.${f}`), 404, /service_code abc not found/);
  });

  it('an unknown jurisdiction_id is 404 on every resource', async () => {
    for (const url of ['services', 'services/0901', 'requests', 'requests/1', 'tokens/abc']) {
      await expectError((f) => get(`${V2}/${url}.${f}?jurisdiction_id=sfgov.org`), 404, /jurisdiction_id sfgov\.org not found/);
    }
    await expectError((f) => postForm(f, { api_key: apiKey, jurisdiction_id: '330522', service_code: '0901', lat: at.lat, long: at.lng }), 404,
      /jurisdiction_id 330522 not found/);
  });

  it('anything else under /open311 is a GeoReport 404, never Nest\'s or a problem+json', async () => {
    await expectError((f) => get(`${V2}/nothing.${f}`), 404, /not a GeoReport v2 resource/);
    await expectError((f) => get(`/open311/v3/services.${f}`), 404, /not a GeoReport v2 resource/);
    await expectError((f) => api.http().delete(`${V2}/services.${f}`), 404, /DELETE/);
    // no format, or one not served: XML, the spec's required format
    for (const url of [`${V2}/services`, `${V2}/services.csv`, '/open311']) {
      const res = await get(url);
      expect(fromXml(res, 404, 'errors.json', 'errors')[0].code).toBe(404);
    }
  });
});

describe('API keys (admin)', () => {
  it('are issued to a reporting account, listed without the key, stored as a hash only, and audited', async () => {
    expect(apiKey).toMatch(/^o311_[A-Za-z0-9_-]{43}$/);
    const list = await (await api.as('admin')).get('/admin/open311-keys');
    expect(list.status).toBe(200);
    const mine = list.body.items.find((k: Json) => k.id === keyId);
    expect(mine).toMatchObject({ name: '市民随手拍 App', serviceUsername: SERVICE_USER, serviceUserId, revokedAt: null, keyPrefix: apiKey.slice(0, 12) });
    expect(JSON.stringify(list.body)).not.toContain(apiKey);
    const row = (await api.db.query(`SELECT * FROM open311_clients WHERE id = $1`, [keyId])).rows[0];
    expect(JSON.stringify(row)).not.toContain(apiKey);
    expect(Buffer.from(row.key_hash).toString('utf8')).not.toContain(apiKey.slice(5));
    const audit = await api.db.query(`SELECT username, detail FROM audit_log WHERE action = 'open311_key.issue' AND target = $1`, [keyId]);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0].username).toBe('admin');
    expect(JSON.stringify(audit.rows[0].detail)).not.toContain(apiKey);
  });

  it('only an administrator manages keys; the service account must be an active reporting account', async () => {
    const tw = await api.as(TW);
    expect((await tw.get('/admin/open311-keys')).status).toBe(403);
    expect((await tw.post('/admin/open311-keys', { name: 'x', serviceUsername: SERVICE_USER })).status).toBe(403);
    for (const who of ['nobody.at.all', H_JG, 'admin']) {
      const res = await issueKey('坏账户', who);
      expect(res.status).toBe(422);
      expect(res.body.errors[0].field).toBe('serviceUsername');
    }
    expect((await (await api.as('admin')).post('/admin/open311-keys', { name: 'x' })).status).toBe(400);
    expect((await (await api.as('admin')).post('/admin/open311-keys/not-a-uuid/revoke', {})).status).toBe(404);
  });
});

describe('POST requests, GET request, tokens', () => {
  it('files a report through the report path: an event with source open311 in the right grid, filed as the key\'s account', async () => {
    const created = await file({ media_url: 'https://img.example.org/p/1.jpg', email: 'zhang.san@example.org', phone: '13800138000',
      first_name: '三', last_name: '张', device_id: 'device-42' });
    expect(created.service_request_id).toMatch(/^330523\d{13}$/);
    expect(created.token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const ev = (await api.db.query(`SELECT id, source, grid_code, township_code, reporter_id, category_code, description, address, status
      FROM events WHERE code = $1`, [created.service_request_id])).rows[0];
    expect(ev).toMatchObject({ source: 'open311', grid_code: GRID, township_code: DIPU, reporter_id: serviceUserId, category_code: '0901',
      description: '路边暴露垃圾，请清运', address: '递铺街道胜利西路口', status: 'reported' });
    // the requester's contact: encrypted at rest, nowhere in clear text, decryptable with the key
    const row = (await api.db.query(`SELECT * FROM open311_requests WHERE event_id = $1`, [ev.id])).rows[0];
    expect(row.media_url).toBe('https://img.example.org/p/1.jpg');
    const clear = JSON.stringify(row) + Buffer.concat([row.email_enc, row.phone_enc, row.name_enc, row.device_id_enc]).toString('latin1');
    for (const secret of ['zhang.san', '13800138000', '张', 'device-42']) expect(clear).not.toContain(secret);
    const pii = new PiiCipher(process.env.PII_KEY!);
    expect(pii.decrypt('email' as PiiField, row.email_enc)).toBe('zhang.san@example.org');
    expect(pii.decrypt('phone', row.phone_enc)).toBe('13800138000');
    expect(pii.decrypt('name' as PiiField, row.name_enc)).toBe('三 张');
    // the staff see it in the township's queue, as an Open311 report
    const queue = await (await api.as(TW)).get(`/events/${ev.id}`);
    expect(queue.status).toBe(200);
    expect(queue.body).toMatchObject({ source: 'open311', code: created.service_request_id });

    // GET the request in both formats: public fields only
    const j = fromJson(await get(`${V2}/requests/${created.service_request_id}.json`), 200, 'requests.json');
    const x = fromXml(await get(`${V2}/requests/${created.service_request_id}.xml?jurisdiction_id=${COUNTY}`), 200, 'requests.json', 'service_requests');
    expect(x).toEqual(j);
    expect(j).toHaveLength(1);
    expect(j[0]).toMatchObject({ service_request_id: created.service_request_id, status: 'open', service_code: '0901', description: '路边暴露垃圾，请清运',
      address: '递铺街道胜利西路口', media_url: 'https://img.example.org/p/1.jpg', status_notes: '已上报，待受理' });
    expect(j[0].lat).toBeCloseTo(at.lat, 9);
    expect(j[0].long).toBeCloseTo(at.lng, 9);
    const text = (await get(`${V2}/requests/${created.service_request_id}.json`)).text + (await get(`${V2}/requests.xml`)).text;
    for (const secret of ['zhang.san', '13800138000', '张', 'device-42', serviceUserId]) expect(text).not.toContain(secret);

    // the token resolves to the id
    const t = fromJson(await get(`${V2}/tokens/${created.token}.json`), 200, 'tokens.json');
    expect(t).toEqual([{ service_request_id: created.service_request_id, token: created.token }]);
    expect(fromXml(await get(`${V2}/tokens/${created.token}.xml`), 200, 'tokens.json', 'service_requests')).toEqual(t);
  });

  it('answers POST in XML too, takes a JSON body, and the key records its last use', async () => {
    const x = await file({ description: 'XML & <特殊> "字符"' }, 'xml');
    const back = fromJson(await get(`${V2}/requests/${x.service_request_id}.json`), 200, 'requests.json');
    expect(back[0].description).toBe('XML & <特殊> "字符"');
    const viaJson = await api.http().post(`${V2}/requests.json`).send({ api_key: apiKey, service_code: '0901', lat: at.lat, long: at.lng });
    const j = fromJson(viaJson, 200, 'requests-post.json');
    const ev = (await api.db.query(`SELECT description, source FROM events WHERE code = $1`, [j[0].service_request_id])).rows[0];
    // no description: the service's name stands for it
    expect(ev.source).toBe('open311');
    expect(ev.description.length).toBeGreaterThan(0);
    const used = (await api.db.query(`SELECT last_used_at FROM open311_clients WHERE id = $1`, [keyId])).rows[0].last_used_at;
    expect(used).not.toBeNull();
  });

  it('an unknown request id or token is 404', async () => {
    await expectError((f) => get(`${V2}/requests/330523209901010000.${f}`), 404, /service_request_id 330523209901010000 not found/);
    await expectError((f) => get(`${V2}/tokens/no-such-token.${f}`), 404, /token no-such-token not found/);
    // grid reports are not Open311 requests: not public
    const gridEvent = (await api.db.query(`SELECT code FROM events WHERE source <> 'open311' LIMIT 1`)).rows[0];
    if (gridEvent) await expectError((f) => get(`${V2}/requests/${gridEvent.code}.${f}`), 404, /not found/);
  });
});

describe('POST errors: nothing written', () => {
  const base = () => ({ api_key: apiKey, service_code: '0901', lat: at.lat, long: at.lng });
  async function refused(fields: Record<string, string | number>, status: number, pattern: RegExp, ignore: string[] = []) {
    const before = await rowCounts(api.db, ignore);
    await expectError((f) => postForm(f, fields), status, pattern);
    expect(await rowCounts(api.db, ignore)).toEqual(before);
  }

  it('a missing, wrong or revoked api_key is 403 (the denial audited)', async () => {
    const { api_key: _k, ...noKey } = base();
    await refused(noKey, 403, /api_key is required/, ['audit_log']);
    await refused({ ...base(), api_key: 'o311_not-a-real-key' }, 403, /invalid api_key/, ['audit_log']);
    const other = await issueKey('待吊销');
    expect(other.status).toBe(201);
    await file({}, 'json'); // the first key still works
    const ok = await postForm('json', { ...base(), api_key: other.body.apiKey });
    fromJson(ok, 200, 'requests-post.json');
    const revoke = await (await api.as('admin')).post(`/admin/open311-keys/${other.body.id}/revoke`, {});
    expect(revoke.status).toBe(200);
    expect(revoke.body.revokedAt).not.toBeNull();
    await refused({ ...base(), api_key: other.body.apiKey }, 403, /revoked/, ['audit_log']);
    const denials = await api.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'open311.request' AND outcome = 'denied'`);
    expect(denials.rows[0].n).toBeGreaterThanOrEqual(6);
    expect((await api.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'open311_key.revoke' AND target = $1`, [other.body.id])).rows[0].n).toBe(1);
  });

  it('service_code: missing is 400, unknown is 404', async () => {
    const { service_code: _c, ...noCode } = base();
    await refused(noCode, 400, /service_code is required/);
    await refused({ ...base(), service_code: '0000' }, 404, /service_code 0000 not found/);
  });

  it('location: lat & long required (no geocoding), both, in range, inside the county', async () => {
    const { lat: _a, long: _b, ...noPlace } = base();
    await refused(noPlace, 400, /location is required/);
    await refused({ ...noPlace, address_string: '递铺街道胜利西路' }, 400, /cannot geocode/);
    await refused({ ...noPlace, address_id: 'A-1' }, 400, /cannot geocode/);
    await refused({ ...noPlace, lat: at.lat }, 400, /both be sent/);
    await refused({ ...base(), lat: 'north' }, 400, /lat must be a decimal number/);
    await refused({ ...base(), long: '0x77' }, 400, /long must be a decimal number/);
    await refused({ ...base(), lat: 91, long: 181 }, 400, /lat must be .*long must be/);
    const lastUsed = async () => (await api.db.query(`SELECT last_used_at FROM open311_clients WHERE id = $1`, [keyId])).rows[0].last_used_at;
    const used = await lastUsed();
    // refused by the report path after the contact was written: the contact is gone again, the key not marked as used
    await refused({ ...base(), lat: 0, long: 0, email: 'li.si@example.org' }, 400, /outside county/);
    expect(await lastUsed()).toEqual(used);
  });

  it('field checks: all problems at once; media_url a link, description at most 4000 without HTML, contact well-formed', async () => {
    await refused({ ...base(), media_url: 'javascript:alert(1)', description: 'x'.repeat(4001), email: 'not-an-email', phone: 'call me' }, 400,
      /description is longer than 4000.*media_url must be.*email is not well-formed.*phone is not well-formed/);
    await refused({ ...base(), description: '<script>alert(1)</script>' }, 400, /must not contain HTML/);
  });

  it('a malformed body: bad JSON, another media type, a field twice, nested fields, bad UTF-8, NUL', async () => {
    const before = await rowCounts(api.db);
    const raw = (f: string, type: string, body: string | Buffer) => api.http().post(`${V2}/requests.${f}`).set('Content-Type', type).send(body)
      .then((res) => { if (res.status !== 400) throw new Error(`${type} ${String(body).slice(0, 80)}: ${res.status} ${res.text}`); return res; });
    await expectError((f) => raw(f, 'application/json', '{"api_key": '), 400, /not valid JSON/);
    await expectError((f) => raw(f, 'text/plain', 'api_key=x'), 400, /content type text\/plain is not accepted/);
    await expectError((f) => raw(f, 'application/x-www-form-urlencoded', `api_key=${apiKey}&service_code=0901&service_code=0902`), 400, /service_code must be given once/);
    await expectError((f) => raw(f, 'application/json', JSON.stringify({ ...base(), attribute: { a: 1 } })), 400, /attribute must be given once, as a plain value/);
    await expectError((f) => rawBytes(`${V2}/requests.${f}`, 'application/x-www-form-urlencoded', Buffer.from([0x61, 0x3d, 0xc3, 0x28])), 400, /not valid UTF-8/);
    await expectError((f) => raw(f, 'application/x-www-form-urlencoded', `api_key=${apiKey}&description=a%00b`), 400, /NUL/);
    await expectError((f) => raw(f, 'application/x-www-form-urlencoded', `constructor=1`), 400, /not allowed/);
    await expectError((f) => raw(f, 'application/x-www-form-urlencoded', `a=${'x'.repeat(70_000)}`), 400, /larger than 64kb/);
    await expectError((f) => api.http().get(`${V2}/requests/%E0%A4%A.${f}`), 400, /percent-encoded/);
    expect(await rowCounts(api.db)).toEqual(before);
  });
});

describe('GET requests: filters and their errors', () => {
  it('lists Open311 requests by ids, service code, status and date span, identically in JSON and XML', async () => {
    const a = await file({ service_code: '0901' });
    const codes = (await api.db.query(`SELECT code FROM categories WHERE active AND is_event AND code <> '0901' ORDER BY code LIMIT 1`)).rows;
    const b = await file({ service_code: codes[0].code });
    const all = fromJson(await get(`${V2}/requests.json`), 200, 'requests.json');
    expect(fromXml(await get(`${V2}/requests.xml?jurisdiction_id=${COUNTY}`), 200, 'requests.json', 'service_requests')).toEqual(all);
    const ids = all.map((r: Json) => r.service_request_id);
    expect(ids).toEqual(expect.arrayContaining([a.service_request_id, b.service_request_id]));
    // newest first, each an Open311 event
    const n = (await api.db.query(`SELECT count(*)::int AS n FROM open311_requests r JOIN events e ON e.id = r.event_id`)).rows[0].n;
    expect(all).toHaveLength(n);

    const byIds = fromJson(await get(`${V2}/requests.json?service_request_id=${a.service_request_id},${b.service_request_id}&service_code=9999&status=closed`), 200, 'requests.json');
    expect(byIds.map((r: Json) => r.service_request_id).sort()).toEqual([a.service_request_id, b.service_request_id].sort());
    const byCode = fromJson(await get(`${V2}/requests.json?service_code=${codes[0].code}`), 200, 'requests.json');
    expect(byCode.map((r: Json) => r.service_request_id)).toContain(b.service_request_id);
    expect(byCode.every((r: Json) => r.service_code === codes[0].code)).toBe(true);
    expect(fromJson(await get(`${V2}/requests.json?status=open`), 200, 'requests.json').map((r: Json) => r.service_request_id)).toContain(a.service_request_id);
    expect(fromJson(await get(`${V2}/requests.json?status=closed`), 200, 'requests.json').map((r: Json) => r.service_request_id)).not.toContain(a.service_request_id);
    expect(fromJson(await get(`${V2}/requests.json?status=open,closed`), 200, 'requests.json')).toHaveLength(n);

    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const inSpan = fromJson(await get(`${V2}/requests.json?start_date=${iso(now - 3_600_000)}&end_date=${encodeURIComponent(new Date(now + 3_600_000).toISOString().replace('Z', '+00:00'))}`), 200, 'requests.json');
    expect(inSpan).toHaveLength(n);
    const before = fromJson(await get(`${V2}/requests.json?start_date=2020-01-01T00:00:00%2B08:00&end_date=2020-02-01T00:00:00Z`), 200, 'requests.json');
    expect(before).toEqual([]);
    expect(fromXml(await get(`${V2}/requests.xml?start_date=2020-01-01T00:00:00Z`), 200, 'requests.json', 'service_requests')).toEqual([]);
  });

  it('refuses bad dates, spans over 90 days, start after end, unknown statuses, malformed codes and ids (400)', async () => {
    await expectError((f) => get(`${V2}/requests.${f}?start_date=2026-13-01T00:00:00Z`), 400, /start_date (is not a real date-time|must be a w3 date-time)/);
    await expectError((f) => get(`${V2}/requests.${f}?end_date=2026-02-30T00:00:00Z`), 400, /end_date is not a real date-time/);
    await expectError((f) => get(`${V2}/requests.${f}?end_date=2026-02-28T24:00:00Z`), 400, /end_date (is not a real date-time|must be a w3 date-time)/);
    await expectError((f) => get(`${V2}/requests.${f}?start_date=2026-11-01T00:00:00`), 400, /start_date must be a w3 date-time with a time zone/);
    await expectError((f) => get(`${V2}/requests.${f}?start_date=yesterday`), 400, /start_date must be a w3 date-time/);
    await expectError((f) => get(`${V2}/requests.${f}?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z`), 400, /more than 90 days/);
    await expectError((f) => get(`${V2}/requests.${f}?start_date=2026-06-01T00:00:00Z&end_date=2026-05-01T00:00:00Z`), 400, /start_date is after end_date/);
    await expectError((f) => get(`${V2}/requests.${f}?status=pending`), 400, /status must be open or closed/);
    await expectError((f) => get(`${V2}/requests.${f}?service_code=abc&status=x`), 400, /service_code abc is not a service code.*status must be/);
    await expectError((f) => get(`${V2}/requests.${f}?service_request_id=${encodeURIComponent('a b')}`), 400, /not a service request id/);
    await expectError((f) => get(`${V2}/requests.${f}?status=open&status=closed`), 400, /status must be given once/);
  });
});

describe('status follows the workflow', () => {
  async function act(user: string, id: string, body: Record<string, unknown>) {
    const res = await (await api.as(user)).post(`/events/${id}/actions`, body);
    if (res.status !== 201) throw new Error(`${user} ${String(body.type)}: ${res.status} ${res.text}`);
    return res.body;
  }
  const eventOf = async (code: string) => (await api.db.query(`SELECT id, closed_at FROM events WHERE code = $1`, [code])).rows[0];
  const statusOf = async (code: string) => fromJson(await get(`${V2}/requests/${code}.json`), 200, 'requests.json')[0];

  it('open through the loop, closed when the township closes it (updated_datetime = closing time)', async () => {
    const created = await file();
    const { id } = await eventOf(created.service_request_id);
    await act(TW, id, { type: 'accept', note: '已受理' });
    expect(await statusOf(created.service_request_id)).toMatchObject({ status: 'open', status_notes: '已受理，待派遣' });
    await act(TW, id, { type: 'dispatch', unitCode: JG });
    await act(H_JG, id, { type: 'sign' });
    expect(await statusOf(created.service_request_id)).toMatchObject({ status: 'open', status_notes: '处置中', agency_responsible: expect.stringContaining('监管执法') });
    await act(H_JG, id, { type: 'feedback', note: '已清运' });
    await act(TW, id, { type: 'verify', pass: true, note: '核查通过' });
    const closed = await statusOf(created.service_request_id);
    expect(closed).toMatchObject({ status: 'closed', status_notes: '已办结' });
    const ev = await eventOf(created.service_request_id);
    expect(closed.updated_datetime).toBe(ev.closed_at.toISOString());
    const xml = fromXml(await get(`${V2}/requests/${created.service_request_id}.xml`), 200, 'requests.json', 'service_requests');
    expect(xml[0]).toEqual(closed);
    expect(fromJson(await get(`${V2}/requests.json?status=closed`), 200, 'requests.json').map((r: Json) => r.service_request_id)).toContain(created.service_request_id);
  });

  it('a rejected (作废) request is closed too', async () => {
    const created = await file();
    const { id } = await eventOf(created.service_request_id);
    await act(TW, id, { type: 'reject', reason: '非本辖区事项' });
    expect(await statusOf(created.service_request_id)).toMatchObject({ status: 'closed', status_notes: '已作废（不予受理）' });
  });
});
