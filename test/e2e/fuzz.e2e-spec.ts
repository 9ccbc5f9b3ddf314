import { appendFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import ExcelJS from 'exceljs';
import sharp from 'sharp';
import { HotlineService } from '#core';
import { newId, pointIn, startApi } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';
import { sandboxKeys, spawnSandbox } from './support/sandbox.js';
import type { SandboxProcess } from './support/sandbox.js';
import { badAuthArb, caseOf, genericBodySites, jsonBodySites, multipart, pathSites, querySites, uploadSites } from './support/fuzz/cases.js';
import type { Base, Case, Site } from './support/fuzz/cases.js';
import { operationsOf } from './support/fuzz/operations.js';
import type { Operation } from './support/fuzz/operations.js';
import { Sender, countChanges, describe as describeViolation, judge, rawHttp, recordFinding, runCases, tableCounts } from './support/fuzz/runner.js';
import type { Violation } from './support/fuzz/runner.js';
import { hasProperties, resolve } from './support/fuzz/schema.js';
import type { OpenApiDocument } from './support/fuzz/schema.js';
import { validValue } from './support/fuzz/values.js';

jest.setTimeout(240_000);

/**
 * Outcome 1 of issue 12: every operation of the OpenAPI document gets invalid requests generated from its schemas
 * (each breaks exactly one rule of a valid request), sent as a user allowed to call it and sometimes with no or a
 * bad token. Every answer must be a 4xx application/problem+json whose body.status is the HTTP status and which,
 * on a 400/422 about one field, names that field; nothing may be written to any table.
 *
 * FUZZ_SEED (default 141) fixes the cases; FUZZ_CASES (default 3000) is the total budget spread over the operations.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 141);
const TOTAL = Number(process.env.FUZZ_CASES ?? 3000);
const MIN_PER_OP = 40;
const NO_TOKEN_SHARE = 0.08;

const DIPU = '330523001';
const GRID = '330523001002001';
const GW = `gw.${GRID}`;
const TW = `tw.${DIPU}`;
const DEMO_USERS = ['admin', 'county.op', 'county.lead', TW, `h.${DIPU}-JG`, GW];
/** A session of its own for logout, password change and refresh, so that a wrongly accepted case ends nobody else's. */
const SESSION_USER = 'h.330523-ZF';
const SESSION = `${SESSION_USER} (own session)`;
/** Login cases use an account no other case uses (a wrongly accepted one could lock it). */
const LOGIN_USER = 'tw.330523105';

/** Who may call an operation (first match); GET operations rotate over the users listed. */
const CALLERS: [RegExp, string[]][] = [
  [/^POST \/api\/v1\/events$/, [GW]],
  [/^POST \/api\/v1\/events\/\{[^}]+\}\/actions$/, [TW]],
  [/^GET \/api\/v1\/events\/\{[^}]+\}$/, [GW, TW, 'county.op', 'county.lead']],
  [/^GET \/api\/v1\/events\/\{[^}]+\}\/hotline-order$/, [TW, 'county.op', 'county.lead']],
  [/^POST \/api\/v1\/events\/\{[^}]+\}\/hotline-order\/contact$/, [TW, 'county.op']],
  [/^[A-Z]+ \/api\/v1\/admin\//, ['admin']],
  [/^[A-Z]+ \/api\/v1\/attachments/, [GW]],
  [/^POST \/api\/v1\/auth\/(logout|password)$/, [SESSION]],
  [/^POST \/api\/v1\/irs\/(person|enterprise)$/, [TW, 'county.op']],
  [/^GET /, DEMO_USERS],
  [/.*/, ['admin']],
];

/** FUZZ_LOG=<file>: every case and its answer, one line each (for looking into a run). */
const debug = (line: string) => { if (process.env.FUZZ_LOG) appendFileSync(process.env.FUZZ_LOG, `${line.replace(/[\r\n]/g, ' ')}\n`); };

const hash = (s: string) => {
  let h = 0x811c9dc5 ^ SEED;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
};

let api: ApiHarness;
let doc: OpenApiDocument;
let sender: Sender;
const tokens = new Map<string, string>();
const ctx = { eventId: '', eventVersion: 1, attachmentId: '', categoryCode: '0901', lng: 0, lat: 0, refreshToken: '', png: Buffer.alloc(0) as Buffer, userId: '', xlsx: Buffer.alloc(0) as Buffer,
  photoToken: '', unitCode: '', gridWorkerId: '', geojson: Buffer.alloc(0) as Buffer, open311KeyId: '',
  replayDeliveryId: '', skipDeliveryId: '', hotlineEventId: '', zwddAuthCode: '' };
/** The province sandbox (浙政钉 and IRS): the valid 免登 and IRS requests reach a gateway that answers. */
let sandbox: SandboxProcess;
/** 浙政钉 account bound to a grid worker no other case uses (the second-last by name; the last is ADMINISTERED_USER). */
const ZWDD_ACCOUNT = 'fuzz-zwdd-0001';
/** The account the admin people operations act on: the last grid worker by name (no other case logs in as it). */
const ADMINISTERED_USER = `SELECT id FROM users WHERE role = 'grid_worker' ORDER BY username DESC LIMIT 1`;

/** Valid requests where the schema alone cannot make one that reaches deep validation (ids that exist, a point in a grid …). */
const BASES: Record<string, () => Partial<Base>> = {
  'POST /api/v1/events': () => ({ body: { id: newId(), categoryCode: ctx.categoryCode, description: '路边暴露垃圾，需清运', location: { lng: ctx.lng, lat: ctx.lat } } }),
  'GET /api/v1/events/{id}': () => ({ path: { id: ctx.eventId } }),
  'POST /api/v1/events/{id}/actions': () => ({ path: { id: ctx.eventId }, body: { type: 'accept', expectedVersion: ctx.eventVersion } }),
  'GET /api/v1/attachments/{id}': () => ({ path: { id: ctx.attachmentId } }),
  'GET /api/v1/regions/locate': () => ({ query: { lng: String(ctx.lng), lat: String(ctx.lat) } }),
  'GET /api/v1/map/events': () => ({ query: { bbox: '119.6,30.6,119.7,30.7', zoom: '12' } }),
  'GET /api/v1/map/heat': () => ({ query: { bbox: '119.6,30.6,119.7,30.7', zoom: '12' } }),
  'PUT /api/v1/admin/calendar/{date}': () => ({ path: { date: '2031-05-06' }, body: { kind: 'holiday', name: '测试假日' } }),
  'DELETE /api/v1/admin/calendar/{date}': () => ({ path: { date: '2031-05-06' } }),
  'PUT /api/v1/admin/sla-rules': () => ({ body: { categoryCode: ctx.categoryCode, urgency: 'normal', basis: 'working', acceptMinutes: 60, signMinutes: 60, handleMinutes: 480, verifyMinutes: 120 } }),
  'POST /api/v1/admin/users': () => ({ body: { displayName: '模糊测试', role: 'handler', unitCode: `${DIPU}-JG`, jurisdictionCode: DIPU,
    phone: '13700001410', idNumber: '11010519491231002X' } }),
  'POST /api/v1/admin/users/lookup': () => ({ body: { phone: '13700001410', idNumber: '11010519491231002X' } }),
  'GET /api/v1/admin/users/{id}': () => ({ path: { id: ctx.userId } }),
  'PATCH /api/v1/admin/users/{id}': () => ({ path: { id: ctx.userId }, body: { displayName: '模糊测试改名' } }),
  'POST /api/v1/admin/users/{id}/disable': () => ({ path: { id: ctx.userId } }),
  'POST /api/v1/admin/users/{id}/enable': () => ({ path: { id: ctx.userId } }),
  'POST /api/v1/admin/users/{id}/reset-password': () => ({ path: { id: ctx.userId } }),
  'GET /api/v1/admin/users/{id}/personal-data': () => ({ path: { id: ctx.userId }, query: { reason: '模糊测试' } }),
  'POST /api/v1/admin/users/import': () => ({ query: { dryRun: 'true' } }),
  'GET /api/v1/attachments/media/{token}': () => ({ path: { token: ctx.photoToken } }),
  'PUT /api/v1/stats/weights': () => ({ body: { kind: 'township', indicator: 'onTimeCloseRate', weight: 0.3 } }),
  'POST /api/v1/admin/units': () => ({ body: { type: 'county_department', name: '模糊测试局', regionCode: '330523', departmentKind: 'FZ' } }),
  'GET /api/v1/admin/units/{code}': () => ({ path: { code: ctx.unitCode } }),
  'PATCH /api/v1/admin/units/{code}': () => ({ path: { code: ctx.unitCode }, body: { name: '模糊测试单位（改名）' } }),
  'POST /api/v1/admin/units/{code}/retire': () => ({ path: { code: ctx.unitCode } }),
  'POST /api/v1/admin/open311-keys': () => ({ body: { name: '模糊测试', serviceUsername: 'county.op' } }),
  'POST /api/v1/admin/open311-keys/{id}/revoke': () => ({ path: { id: ctx.open311KeyId } }),
  'GET /api/v1/events/{id}/hotline-order': () => ({ path: { id: ctx.hotlineEventId } }),
  'POST /api/v1/events/{id}/hotline-order/contact': () => ({ path: { id: ctx.hotlineEventId }, body: { reason: '回电核实' } }),
  'POST /api/v1/admin/gateway-deliveries/{id}/replay': () => ({ path: { id: ctx.replayDeliveryId } }),
  'POST /api/v1/admin/gateway-deliveries/{id}/skip': () => ({ path: { id: ctx.skipDeliveryId } }),
  'POST /api/v1/admin/units/{code}/restore': () => ({ path: { code: ctx.unitCode } }),
  'PATCH /api/v1/admin/categories/{code}': () => ({ path: { code: ctx.categoryCode }, body: { active: true } }),
  'POST /api/v1/admin/grids/{code}/workers': () => ({ path: { code: GRID }, body: { userId: ctx.gridWorkerId } }),
  'POST /api/v1/admin/regions/import': () => ({ query: { dryRun: 'true' } }),
  'POST /api/v1/auth/login': () => ({ body: { username: LOGIN_USER, password: 'Grid141!demo' } }),
  'POST /api/v1/auth/refresh': () => ({ body: { refreshToken: ctx.refreshToken } }),
  // during the fuzz a well-formed code never issued (a case that keeps it must still be refused); a fresh one for the control
  'POST /api/v1/auth/zwdd': () => ({ body: { authCode: ctx.zwddAuthCode } }),
  'POST /api/v1/irs/person': () => ({ body: { idNumber: '33052319850312123X', reason: '核实当事人身份' } }),
  'POST /api/v1/irs/enterprise': () => ({ body: { creditCode: '91330523MA2B3C4D5M', reason: '核实企业登记信息' } }),
  'POST /api/v1/auth/password': () => ({ body: { currentPassword: 'Grid141!demo', newPassword: 'Fuzz-Grid141-new-pass!' } }),
};

/** Valid values of optional query parameters, for the mutations that repeat or wrap a valid value. */
const QUERY_EXAMPLES: Record<string, string> = { bbox: '119.5,30.5,119.9,30.9', status: 'reported,accepted', lng: '119.68', lat: '30.63' };

function callerOf(op: Operation, n: number): string | null {
  if (!op.secured) return null;
  const users = CALLERS.find(([re]) => re.test(op.key))![1];
  return users[n % users.length]!;
}

function baseOf(op: Operation, n: number): Base {
  const hand = BASES[op.key]?.() ?? {};
  const path: Record<string, string> = {};
  for (const p of op.pathParams) path[p.name] = hand.path?.[p.name] ?? String(validValue(doc, p.schema, n));
  const query: Record<string, string> = { ...hand.query };
  for (const p of op.query) if (p.required && query[p.name] === undefined) query[p.name] = String(validValue(doc, p.schema, n));
  let body = hand.body;
  if (body === undefined && op.body?.contentType === 'application/json' && hasProperties(doc, op.body.schema)) body = validValue(doc, op.body.schema, n);
  const file = op.key === 'POST /api/v1/admin/users/import'
    ? { name: 'file', filename: 'roster.xlsx', type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', data: ctx.xlsx }
    : op.key === 'POST /api/v1/admin/regions/import'
      ? { name: 'file', filename: 'grids.geojson', type: 'application/geo+json', data: ctx.geojson }
      : { name: 'file', filename: 'base.png', type: 'image/png', data: ctx.png };
  const raw = op.body?.contentType.startsWith('multipart/')
    ? { bytes: multipart([file], 'baseboundary'), contentType: 'multipart/form-data; boundary=baseboundary' }
    : undefined;
  return { path, query, body, raw, user: callerOf(op, n) };
}

function sitesOf(op: Operation): Site[] {
  const base = baseOf(op, 0);
  const sites = [...pathSites(doc, op), ...querySites(doc, op, base, QUERY_EXAMPLES)];
  if (op.body?.contentType.startsWith('multipart/')) {
    sites.push(...uploadSites('file', ctx.png, 10 * 1024 * 1024));
    sites.push(...genericBodySites(doc, { ...op, body: undefined }, false).filter((s) => !['extra field (no schema)', 'prototype key (no schema)'].includes(s.name)));
  } else if (op.body) {
    sites.push(...jsonBodySites(doc, resolve(doc, op.body.schema), base.body), ...genericBodySites(doc, op, false));
  } else {
    sites.push(...genericBodySites(doc, op, true));
  }
  return sites;
}

/** The cases of one operation: every site at least once, the budget spread evenly, a share sent with no or a bad token. */
function casesOf(op: Operation, sites: Site[], budget: number): Case[] {
  const cases: Case[] = [];
  let n = 0;
  const weights = sites.reduce((a, s) => a + (s.weight ?? 1), 0);
  sites.forEach((site) => {
    const runs = Math.max(1, Math.ceil((budget * (site.weight ?? 1)) / weights));
    for (const m of fc.sample(site.arb, { seed: hash(`${op.key}#${site.name}`), numRuns: runs })) cases.push(caseOf(op, baseOf(op, n++), m));
  });
  if (op.secured) {
    const picks = fc.sample(fc.tuple(fc.nat({ max: cases.length - 1 }), badAuthArb), { seed: hash(`${op.key}#auth`), numRuns: Math.max(3, Math.round(cases.length * NO_TOKEN_SHARE)) });
    for (const [i, auth] of picks) cases.push({ ...cases[i]!, kind: `${cases[i]!.kind}, ${auth === null ? 'no token' : 'bad token'}`, badAuth: auth });
  }
  return cases;
}

/** A new session for SESSION_USER (the control requests log out and change its password). */
async function newSession(): Promise<void> {
  const own = await api.http().post('/api/v1/auth/login').send({ username: SESSION_USER, password: 'Grid141!demo' });
  expect(own.status).toBe(200);
  tokens.set(SESSION, own.body.accessToken);
  ctx.refreshToken = own.body.refreshToken;
}

/**
 * The valid base request of an operation, sent as it is: it must succeed, or the invalid cases built on it would prove
 * nothing (a 4xx could come from the base, not from the mutation). Run after the fuzz cases (these do write).
 */
async function control(op: Operation): Promise<string | null> {
  if (op.key.includes('/auth/')) await newSession();
  const c = caseOf(op, baseOf(op, 0), { kind: 'control', apply: (d) => d });
  const a = await sender.send(c);
  return a.status >= 200 && a.status < 300 ? null
    : `${c.method} ${c.url} as ${c.user ?? '(public)'}: ${a.status} ${a.text.slice(0, 300)} (a valid base request is needed: see BASES and CALLERS in test/e2e/fuzz.e2e-spec.ts)`;
}
/** Controls that end something (a calendar day, the session's password) go after the ones that need it. */
const controlOrder = (op: Operation) => (op.method === 'DELETE' ? 1 : 0) + (/\/auth\/password$/.test(op.path) ? 2 : 0);

/** A one-row roster (issue 11) for the import's valid base. */
async function tinyRoster(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('花名册');
  sheet.addRow(['姓名', '手机号', '身份证号', '所属网格/单位', '角色']);
  sheet.addRow(['模糊测试', '13700001411', '330523198008081410', GRID, '网格员']);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function tinyPng(): Promise<Buffer> {
  return sharp({ create: { width: 16, height: 12, channels: 3, background: { r: 200, g: 60, b: 20 } } }).png().toBuffer();
}

beforeAll(async () => {
  const keys = sandboxKeys();
  sandbox = await spawnSandbox(keys);
  api = await startApi('fuzz', {
    GATEWAY_ZWDD_BASE_URL: sandbox.url, GATEWAY_ZWDD_ACCESS_KEY: keys.zwdd.accessKey, GATEWAY_ZWDD_SECRET_KEY: keys.zwdd.secretKey,
    GATEWAY_ZWDD_TENANT_ID: '196729',
    GATEWAY_IRS_BASE_URL: sandbox.url, GATEWAY_IRS_ACCESS_KEY: keys.irs.accessKey, GATEWAY_IRS_SECRET_KEY: keys.irs.secretKey,
    // the per-user lookup limits would refuse the controls after the cases
    IRS_LOOKUPS_PER_MINUTE: '10000', IRS_LOOKUPS_PER_DAY: '100000',
  });
  await api.db.query(`UPDATE users SET zwdd_account_id = $1 WHERE id = (SELECT id FROM users WHERE role = 'grid_worker' ORDER BY username DESC OFFSET 1 LIMIT 1)`, [ZWDD_ACCOUNT]);
  ctx.zwddAuthCode = `never-issued-${newId()}`;
  const docRes = await api.http().get('/docs-json');
  expect(docRes.status).toBe(200);
  doc = docRes.body as OpenApiDocument;
  if (process.env.FUZZ_DUMP_DOC) writeFileSync(process.env.FUZZ_DUMP_DOC, JSON.stringify(doc, null, 1));
  for (const u of DEMO_USERS) tokens.set(u, await api.token(u));
  await newSession();
  const at = await pointIn(api.db, GRID);
  Object.assign(ctx, at);
  const gw = await api.as(GW);
  const cats = await gw.get('/categories');
  expect(cats.status).toBe(200);
  expect((cats.body.items as { code: string }[]).some((c) => c.code === ctx.categoryCode)).toBe(true);
  const ev = await gw.post('/events', { id: newId(), categoryCode: ctx.categoryCode, description: '模糊测试的基准事件', location: at });
  expect(ev.status).toBe(201);
  ctx.eventId = ev.body.id;
  ctx.eventVersion = ev.body.version;
  ctx.png = Buffer.from(await tinyPng());
  ctx.xlsx = await tinyRoster();
  const up = await gw.upload(ctx.png, 'base.png', 'image/png');
  expect(up.status).toBe(201);
  ctx.attachmentId = up.body.id;
  // a photo link (from an event carrying the photo, read by a user whose session the fuzz never ends)
  const withPhoto = await gw.post('/events', { id: newId(), categoryCode: ctx.categoryCode, description: '带照片的基准事件', location: at, attachmentIds: [up.body.id] });
  expect(withPhoto.status).toBe(201);
  const detail = await (await api.as('county.op')).get(`/events/${withPhoto.body.id}`);
  ctx.photoToken = (detail.body.photos[0].url as string).split('/').pop()!;
  // a county department of its own (no accounts, no events: it can be retired and restored), a grid worker, a grid file
  const unit = await (await api.as('admin')).post('/admin/units', { type: 'county_department', name: '模糊测试单位', regionCode: '330523', departmentKind: 'FT' });
  expect(unit.status).toBe(201);
  ctx.unitCode = unit.body.code;
  ctx.gridWorkerId = (await api.db.query(`SELECT id FROM users WHERE username = $1`, [GW])).rows[0].id;
  const grid = (await api.db.query(`SELECT code, name, ST_AsGeoJSON(geom) AS geom FROM regions WHERE code = $1`, [GRID])).rows[0];
  ctx.geojson = Buffer.from(JSON.stringify({ type: 'FeatureCollection',
    features: [{ type: 'Feature', properties: { code: grid.code, name: grid.name }, geometry: JSON.parse(grid.geom) }] }));
  ctx.userId = (await api.db.query(ADMINISTERED_USER)).rows[0].id;
  // an Open311 API key to revoke (revoking twice answers the same)
  const key = await (await api.as('admin')).post('/admin/open311-keys', { name: '模糊测试密钥', serviceUsername: 'county.op' });
  expect(key.status).toBe(201);
  ctx.open311KeyId = key.body.id;
  // a 12345 work order, filed as the province's push would be (the signed door itself is not in the document)
  const order = await api.app.get(HotlineService).receiveWorkOrder({ orderNo: 'FUZZ-12345-0001', title: '模糊测试工单', content: '模糊测试的12345基准工单',
    lng: String(at.lng), lat: String(at.lat), citizenName: '赵先生', citizenPhone: '13900001410', appealType: '求助' });
  ctx.hotlineEventId = order.eventId;
  // two dead gateway deliveries (no worker runs here): one to replay, one to skip
  const dead = await api.db.query(`INSERT INTO gateway_deliveries (event_id, action_id, kind, message_id, payload, state, last_error, last_status)
    SELECT $1, a.id, 'province_event', 'fuzz:' || n || ':' || a.id, '{}'::jsonb, 'dead', 'refused', 400
      FROM event_actions a, generate_series(1, 2) n WHERE a.event_id = $1 ORDER BY n RETURNING id::text`, [ctx.eventId]);
  [ctx.replayDeliveryId, ctx.skipDeliveryId] = dead.rows.map((r: { id: string }) => r.id);
  const server = api.app.getHttpServer();
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sender = new Sender(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, tokens);
}, 120_000);

afterAll(async () => {
  await sender?.close();
  await sandbox?.stop();
  await api?.close();
});

describe('OpenAPI-driven fuzz (issue 12, outcome 1)', () => {
  it(`every invalid request gets a 4xx problem+json and writes nothing (seed ${SEED})`, async () => {
    const started = Date.now();
    const ops = operationsOf(doc).filter((op) => !process.env.FUZZ_ONLY || new RegExp(process.env.FUZZ_ONLY).test(op.key));
    if (!process.env.FUZZ_ONLY) expect(ops.length).toBeGreaterThan(10);
    const siteLists = ops.map((op) => sitesOf(op));
    const weightOf = (sites: Site[]) => sites.reduce((a, s) => a + (s.weight ?? 1), 0);
    const totalSites = siteLists.reduce((a, s) => a + weightOf(s), 0);
    const planned = ops.map((op, i) => casesOf(op, siteLists[i]!, Math.max(MIN_PER_OP, Math.round((TOTAL * weightOf(siteLists[i]!)) / totalSites))));

    const violations: Violation[] = [];
    const writes: string[] = [];
    const perOp: string[] = [];
    const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();
    const initial = await tableCounts(api.db);
    let before = initial;
    for (const [i, op] of ops.entries()) {
      const cases = planned[i]!;
      const t0 = Date.now();
      const found = await runCases(sender, cases, 4, (v) => recordFinding(describeViolation(v)), (c, a, ms) =>
        debug(`${a.status} ${ms}ms ${c.method} ${c.url.slice(0, 120)} | ${c.kind} | ${c.body?.subarray(0, 160).toString() ?? ''}`));
      violations.push(...found);
      const after = await tableCounts(api.db);
      const changed = countChanges(before, after);
      if (changed.length) {
        writes.push(`${op.key}: ${changed.join(', ')}`);
        recordFinding(`- **${op.key}** — its invalid requests changed row counts: ${changed.join(', ')}`);
      }
      before = after;
      debug(`ran ${op.key}: ${cases.length} cases, ${Date.now() - t0} ms, ${found.length} violations`);
      perOp.push(`${op.key} ${cases.length}${op.fallback.length ? ` (fallback: ${op.fallback.join('; ')})` : ''}`);
    }
    const total = planned.reduce((a, c) => a + c.length, 0);
    const unchanged = countChanges(initial, await tableCounts(api.db));
    const controls: string[] = [];
    const code = await sandbox.admin<{ authCode: string }>('POST', '/_sandbox/auth-code', { accountId: ZWDD_ACCOUNT });
    expect(code.status).toBe(200);
    ctx.zwddAuthCode = code.body.authCode;
    for (const op of [...ops].sort((a, b) => controlOrder(a) - controlOrder(b))) {
      const failed = await control(op);
      if (failed) controls.push(failed);
    }
    if (controls.length) recordFinding(`- control requests (valid base requests) that failed:\n${controls.map((c) => `  - ${c}`).join('\n')}`);
    console.log(`fuzz: seed ${SEED}, ${total} cases over ${ops.length} operations in ${((Date.now() - started) / 1000).toFixed(1)} s, ${violations.length} violations — ${perOp.join(' | ')}`);

    if (!process.env.FUZZ_ONLY) expect(total).toBeGreaterThanOrEqual(2000);
    for (const c of planned) expect(c.length).toBeGreaterThanOrEqual(MIN_PER_OP);
    const byRule = new Map<string, Violation>();
    for (const v of violations) byRule.set(`${v.c.op} | ${v.c.kind.replace(/\d+/g, 'N')} | ${v.c.field ?? ''} | ${v.problem.replace(/\d+/g, 'N')}`, v);
    const report = [...byRule.values()].slice(0, 60).map(describeViolation).join('\n');
    expect({ violations: violations.length, distinct: byRule.size, report }).toEqual({ violations: 0, distinct: 0, report: '' });
    expect(unchanged).toEqual([]);
    // the app runs in this process: a prototype key that got through would show here
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(writes).toEqual([]);
    expect(controls).toEqual([]);
  });

  it('a request that is not valid HTTP still gets a 4xx problem+json (the server answers before any route)', async () => {
    const port = (api.app.getHttpServer().address() as AddressInfo).port;
    const json = '{"username":"admin","password":"x"}';
    const requests: [string, string][] = [
      ['space in the target', 'GET /api/v1/categories?x=a b HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['header name with a space', 'GET /api/v1/categories HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n'],
      ['NUL in a header value', 'GET /api/v1/categories HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n'],
      ['header over 16 KB', `GET /api/v1/categories HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
      ['Content-Length and Transfer-Encoding', `POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
      ['two Content-Lengths', `POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\nContent-Length: 3\r\n\r\n${json}`],
      ['bad chunk size', 'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'],
      ['unknown HTTP version', 'GET /api/v1/categories HTTP/9.9\r\nHost: x\r\n\r\n'],
      ['unknown method', 'BREW /api/v1/categories HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['body shorter than Content-Length', `POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n${json}`],
    ];
    const failures: string[] = [];
    for (const [kind, text] of requests) {
      const a = await rawHttp(port, text);
      const problem = judge({ op: 'HTTP', kind, user: null, method: text.split(' ')[0]!, url: '' }, a);
      if (problem) failures.push(`${kind}: ${problem} (${JSON.stringify(a.text.slice(0, 200))})`);
    }
    expect(failures).toEqual([]);
  });
});
