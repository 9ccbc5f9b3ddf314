import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Response } from 'supertest';
import { newId, pointIn, startApi } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

// Issue 11, reference data: units and platform types (routing as data), categories, grids and their workers, region
// boundaries imported with a preview, and the audit viewer — admin only, every change audited with before/after and
// bumping the reference version that the routing snapshot and the name caches follow.
jest.setTimeout(120_000);

const COUNTY = '330523';
const DIPU = '330523001';
const VILLAGE = '330523001002';
const GRID = `${VILLAGE}001`;
const GRID2 = `${VILLAGE}002`;
const OTHERS = ['county.op', 'county.lead', `tw.${DIPU}`, `h.${DIPU}-JG`, `gw.${GRID}`];

let api: ApiHarness;
const admin = () => api.as('admin');
const send = async (method: 'patch' | 'post', url: string, body: unknown, who = 'admin') =>
  api.http()[method](`/api/v1${url}`).set('Authorization', `Bearer ${await api.token(who)}`).send(body as object);
const upload = async (url: string, data: Buffer, name: string, who = 'admin') =>
  api.http().post(`/api/v1${url}`).set('Authorization', `Bearer ${await api.token(who)}`).attach('file', data, { filename: name, contentType: 'application/geo+json' });

function expectStatus(res: Response, status: number, field?: string): Response {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text.slice(0, 400)}`);
  if (field !== undefined) expect((res.body.errors as { field: string }[] | undefined)?.map((e) => e.field)).toContain(field);
  return res;
}

const referenceVersion = async () => Number((await api.db.query(`SELECT version FROM settings_versions WHERE name = 'reference'`)).rows[0].version);
const auditOf = async (target: string, action: string) =>
  (await api.db.query(`SELECT username, detail FROM audit_log WHERE target = $1 AND action = $2 ORDER BY id`, [target, action])).rows as
    { username: string; detail: Record<string, any> }[];

async function report(categoryCode: string, grid = GRID): Promise<Response> {
  const gw = await api.as(`gw.${grid}`);
  return gw.post('/events', { id: newId(), categoryCode, description: '路边暴露垃圾，需清运', location: await pointIn(api.db, grid) });
}

beforeAll(async () => { api = await startApi('admin_reference'); }, 120_000);
afterAll(async () => { await api?.close(); });

describe('refused for every other role', () => {
  it('403 on every reference-data and audit operation, and nothing changes', async () => {
    const gridWorker = (await api.db.query(`SELECT id FROM users WHERE username = $1`, [`gw.${GRID}`])).rows[0].id as string;
    const before = await referenceVersion();
    for (const who of OTHERS) {
      const c = await api.as(who);
      for (const url of ['/admin/units', `/admin/units/${DIPU}-JG`, '/admin/platform-types', '/admin/categories', '/admin/routing', '/admin/grids',
        '/admin/grids?uncovered=true', '/admin/audit', '/admin/audit/export?format=csv']) expectStatus(await c.get(url), 403);
      expectStatus(await c.post('/admin/units', { type: 'township_station', name: 'x', regionCode: DIPU, departmentKind: 'XX' }), 403);
      expectStatus(await send('patch', `/admin/units/${DIPU}-JG`, { name: 'x' }, who), 403);
      expectStatus(await c.post(`/admin/units/${DIPU}-SFS/retire`, {}), 403);
      expectStatus(await c.post(`/admin/units/${DIPU}-SFS/restore`, {}), 403);
      expectStatus(await c.post('/admin/platform-types', { code: 'QQ', name: 'x' }), 403);
      expectStatus(await send('patch', '/admin/platform-types/ZZ', { name: 'x' }, who), 403);
      expectStatus(await send('patch', '/admin/categories/0901', { active: false }, who), 403);
      expectStatus(await c.post(`/admin/grids/${GRID2}/workers`, { userId: gridWorker }), 403);
      expectStatus(await upload('/admin/regions/import?dryRun=true', Buffer.from('{"type":"FeatureCollection","features":[]}'), 'r.geojson', who), 403);
    }
    expect(await referenceVersion()).toBe(before);
    expect((await api.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE outcome = 'ok' AND action ~ '^(unit|platform_type|category|regions|audit)\\.'`)).rows[0].n).toBe(0);
    expect((await api.db.query(`SELECT name FROM units WHERE code = $1`, [`${DIPU}-JG`])).rows[0].name).not.toBe('x');
  });
});

describe('units and routing as data', () => {
  it('create, rename, retire and restore; codes are never reused; audited with before/after; the reference version moves', async () => {
    const a = await admin();
    const v0 = await referenceVersion();
    const dept = expectStatus(await a.post('/admin/units', { type: 'county_department', name: '县体育局', regionCode: COUNTY, departmentKind: 'TY' }), 201).body;
    expect(dept).toMatchObject({ code: `${COUNTY}-TY`, type: 'county_department', regionCode: COUNTY, departmentKind: 'TY', active: true, users: 0, openEvents: 0 });
    const station = expectStatus(await a.post('/admin/units', { type: 'township_station', name: '递铺街道消防站', regionCode: DIPU, departmentKind: 'XFZ' }), 201).body;
    expect(station).toMatchObject({ code: `${DIPU}-XFZ`, parentUnitCode: `${DIPU}-ZH`, regionName: '递铺街道' });
    expect(await referenceVersion()).toBe(v0 + 2);
    expectStatus(await a.post('/admin/units', { type: 'county_department', name: '重复', regionCode: COUNTY, departmentKind: 'TY' }), 409);
    expectStatus(await a.post('/admin/units', { type: 'county_department', name: 'x', regionCode: DIPU, departmentKind: 'QQ' }), 422, 'regionCode');
    expectStatus(await a.post('/admin/units', { type: 'township_station', name: 'x', regionCode: COUNTY, departmentKind: 'QQ' }), 422, 'regionCode');
    expectStatus(await a.post('/admin/units', { type: 'township_platform', name: 'x', regionCode: DIPU, platformTypeCode: 'NOPE' }), 422, 'platformTypeCode');
    expectStatus(await a.post('/admin/units', { type: 'township_station', name: 'x', regionCode: DIPU }), 422, 'departmentKind');
    expectStatus(await a.post('/admin/units', { type: 'grid_team', name: 'x', regionCode: DIPU }), 400, 'type');

    const renamed = expectStatus(await send('patch', `/admin/units/${DIPU}-XFZ`, { name: '递铺街道专职消防队' }), 200).body;
    expect(renamed.name).toBe('递铺街道专职消防队');
    const [upd] = await auditOf(`${DIPU}-XFZ`, 'unit.update');
    expect(upd).toMatchObject({ username: 'admin', detail: { before: { name: '递铺街道消防站' }, after: { name: '递铺街道专职消防队' } } });
    expect((await auditOf(`${COUNTY}-TY`, 'unit.create'))[0]!.detail).toMatchObject({ after: { name: '县体育局', type: 'county_department' } });

    // a unit with people (or open events) is not retired; an empty one is, and takes no new people until restored
    expectStatus(await a.post(`/admin/units/${DIPU}-JG/retire`, {}), 409);
    expectStatus(await a.post(`/admin/units/${DIPU}-ZH/retire`, {}), 409);
    expect(expectStatus(await a.post(`/admin/units/${DIPU}-XFZ/retire`, {}), 200).body.active).toBe(false);
    expectStatus(await a.post('/admin/users', { displayName: '消防员', role: 'handler', unitCode: `${DIPU}-XFZ`, jurisdictionCode: DIPU }), 422, 'unitCode');
    expectStatus(await a.post('/admin/units', { type: 'township_station', name: '又一个', regionCode: DIPU, departmentKind: 'XFZ' }), 409);
    expect((await auditOf(`${DIPU}-XFZ`, 'unit.retire'))[0]!.detail).toMatchObject({ before: { active: true }, after: { active: false } });
    expect(expectStatus(await a.post(`/admin/units/${DIPU}-XFZ/restore`, {}), 200).body.active).toBe(true);
    expectStatus(await a.post('/admin/users', { displayName: '消防员', role: 'handler', unitCode: `${DIPU}-XFZ`, jurisdictionCode: DIPU }), 201);

    const list = expectStatus(await a.get(`/admin/units?region=${DIPU}&type=township_station&active=true`), 200).body;
    expect(list.items.map((u: { code: string }) => u.code)).toEqual(expect.arrayContaining([`${DIPU}-XFZ`, `${DIPU}-PCS`]));
    expect(list.items.find((u: { code: string }) => u.code === `${DIPU}-XFZ`).users).toBe(1);
    expectStatus(await a.get(`/admin/units/${COUNTY}-NOPE`), 404);
  });

  it('a category routes to a new platform type once its township has one; the next report follows at once (snapshot and names reload)', async () => {
    const a = await admin();
    const was = (await api.db.query(`SELECT platform_type_code AS p FROM categories WHERE code = '0901'`)).rows[0].p as string;
    expect(expectStatus(await report('0901'), 201).body.suggestedUnitCode).toBe(`${DIPU}-${was}`);
    expectStatus(await a.post('/admin/platform-types', { code: 'HJ', name: '环境卫生' }), 201);
    expectStatus(await a.post('/admin/platform-types', { code: 'HJ', name: '重复' }), 409);
    const routed = expectStatus(await send('patch', '/admin/categories/0901', { platformTypeCode: 'HJ', countyDepartment: 'TY' }), 200).body;
    expect(routed).toMatchObject({ code: '0901', platformTypeCode: 'HJ', countyDepartment: 'TY', active: true });
    let table = expectStatus(await a.get('/admin/routing'), 200).body;
    let row = table.rows.find((r: { categoryCode: string }) => r.categoryCode === '0901');
    expect(row).toMatchObject({ platformTypeCode: 'HJ', platformTypeName: '环境卫生', countyDepartmentUnit: `${COUNTY}-TY` });
    expect(row.townshipsWithoutPlatform).toHaveLength(table.townships);
    // no HJ platform in the township yet: the report stays with the command room
    expect(expectStatus(await report('0901'), 201).body.suggestedUnitCode).toBeNull();
    expectStatus(await a.post('/admin/units', { type: 'township_platform', name: '递铺街道环境卫生平台', regionCode: DIPU, platformTypeCode: 'HJ' }), 201);
    table = expectStatus(await a.get('/admin/routing'), 200).body;
    row = table.rows.find((r: { categoryCode: string }) => r.categoryCode === '0901');
    expect(row.townshipsWithoutPlatform).not.toContain(DIPU);
    expect(row.townshipsWithoutPlatform).toHaveLength(table.townships - 1);
    const ev = expectStatus(await report('0901'), 201).body;
    expect(ev.suggestedUnitCode).toBe(`${DIPU}-HJ`);
    // the name cache follows the version: a renamed unit reads with its new name at once
    expectStatus(await send('patch', `/admin/units/${DIPU}-ZH`, { name: '递铺街道社会治理指挥室' }), 200);
    const detail = expectStatus(await (await api.as(`tw.${DIPU}`)).get(`/events/${ev.id}`), 200).body;
    expect(detail.ownerUnitName).toBe('递铺街道社会治理指挥室');

    // a platform type enabled categories route to is not retired; wrong values are 422 naming the field
    expectStatus(await send('patch', '/admin/platform-types/HJ', { active: false }), 409);
    expectStatus(await send('patch', '/admin/categories/0901', { platformTypeCode: 'NOPE' }), 422, 'platformTypeCode');
    expectStatus(await send('patch', '/admin/categories/0901', { countyDepartment: 'NOPE' }), 422, 'countyDepartment');
    expectStatus(await send('patch', '/admin/categories/0999', { active: false }), 404);
    const [cat] = await auditOf('0901', 'category.update');
    expect(cat!.detail).toMatchObject({ before: { platformTypeCode: was }, after: { platformTypeCode: 'HJ', countyDepartment: 'TY' } });
    const types = expectStatus(await a.get('/admin/platform-types'), 200).body.items;
    expect(types.find((t: { code: string }) => t.code === 'HJ')).toMatchObject({ categories: 1, units: 1, active: true });
  });

  it('a disabled category is not offered and not accepted for new reports; enabled again it is', async () => {
    const a = await admin();
    expectStatus(await send('patch', '/admin/categories/0902', { active: false }), 200);
    const all = expectStatus(await a.get('/admin/categories'), 200).body.items;
    expect(all.find((c: { code: string }) => c.code === '0902').active).toBe(false);
    const offered = expectStatus(await (await api.as(`gw.${GRID}`)).get('/categories'), 200).body.items;
    expect(offered.map((c: { code: string }) => c.code)).not.toContain('0902');
    expectStatus(await report('0902'), 422, 'categoryCode');
    expectStatus(await send('patch', '/admin/categories/0902', { active: true }), 200);
    expectStatus(await report('0902'), 201);
  });
});

describe('grids and their workers', () => {
  it('lists grids without a worker; placing a grid worker covers the grid (audited as a user change)', async () => {
    const a = await admin();
    expect(expectStatus(await a.get(`/admin/grids?region=${DIPU}&uncovered=true`), 200).body.total).toBe(0);
    const id2 = (await api.db.query(`SELECT id FROM users WHERE username = $1`, [`gw.${GRID2}`])).rows[0].id as string;
    expectStatus(await a.post(`/admin/users/${id2}/disable`, {}), 200);
    const open = expectStatus(await a.get(`/admin/grids?region=${DIPU}&uncovered=true`), 200).body;
    expect(open.items.map((g: { code: string }) => g.code)).toEqual([GRID2]);
    expect(open).toMatchObject({ total: 1, uncovered: 1 });
    const all = expectStatus(await a.get(`/admin/grids?region=${VILLAGE}`), 200).body;
    expect(all.items.find((g: { code: string }) => g.code === GRID)).toMatchObject({ villageCode: VILLAGE, townshipCode: DIPU, teamUnit: `${GRID}-WG`,
      workers: [expect.objectContaining({ username: `gw.${GRID}` })] });

    const extra = expectStatus(await a.post('/admin/users', { displayName: '候补网格员', role: 'grid_worker', unitCode: `${GRID}-WG`, jurisdictionCode: GRID }), 201).body.user;
    const placed = expectStatus(await a.post(`/admin/grids/${GRID2}/workers`, { userId: extra.id }), 200).body;
    expect(placed).toMatchObject({ jurisdictionCode: GRID2, unitCode: `${GRID2}-WG` });
    expect(expectStatus(await a.get(`/admin/grids?region=${DIPU}&uncovered=true`), 200).body.total).toBe(0);
    const changes = await auditOf(extra.id, 'user.update');
    expect(changes.at(-1)!.detail).toMatchObject({ before: { jurisdictionCode: GRID }, after: { jurisdictionCode: GRID2, unitCode: `${GRID2}-WG` } });

    const handler = (await api.db.query(`SELECT id FROM users WHERE username = $1`, [`h.${DIPU}-JG`])).rows[0].id as string;
    expectStatus(await a.post(`/admin/grids/${GRID2}/workers`, { userId: handler }), 422, 'userId');
    expectStatus(await a.post(`/admin/grids/${GRID2}/workers`, { userId: newId() }), 422, 'userId');
    expectStatus(await a.post(`/admin/grids/330523999999999/workers`, { userId: extra.id }), 404);
  });
});

describe('region boundaries with a preview', () => {
  const feature = (code: string, geometry: unknown, name?: string) => ({ type: 'Feature', properties: { code, ...(name ? { name } : {}) }, geometry });
  const file = (features: unknown[]) => Buffer.from(JSON.stringify({ type: 'FeatureCollection', features }));

  it('dry run: added, changed and rejected with geometry, nothing written; a file with a rejection commits nothing; then one transaction', async () => {
    const geo = async (sql: string, code: string) => (await api.db.query(`SELECT ST_AsGeoJSON(${sql}, 7)::json AS g FROM regions WHERE code = $1`, [code])).rows[0].g;
    const shrunk = await geo(`ST_Multi(ST_Buffer(geom, -0.0004))`, GRID);
    const square = await geo(`ST_Multi(ST_Buffer(ST_PointOnSurface(geom), 0.001, 'quad_segs=1'))`, `${VILLAGE}002`);
    const same = await geo('geom', `${VILLAGE}002`);
    const v0 = await referenceVersion();
    const bad = file([feature(GRID, shrunk), feature(`${VILLAGE}099`, square, '试点网格'), feature('330523999999001', square),
      feature(`${VILLAGE}098`, { type: 'Polygon', coordinates: [[[119.6, 30.6], [119.7, 30.6], [119.6, 30.7]]] })]);
    const dry = expectStatus(await upload('/admin/regions/import?dryRun=true', bad, 'dipu.geojson'), 200).body;
    expect(dry).toMatchObject({ dryRun: true, valid: false, written: false, features: 4 });
    expect(dry.added.map((x: { code: string }) => x.code)).toEqual([`${VILLAGE}099`]);
    expect(dry.added[0]).toMatchObject({ name: '试点网格', level: 'grid', previous: null, geometry: { type: 'MultiPolygon' } });
    expect(dry.changed[0]).toMatchObject({ code: GRID, level: 'grid', previousSynthetic: true, previous: { type: 'MultiPolygon' } });
    expect(dry.rejected.map((r: { code: string }) => r.code).sort()).toEqual([`${VILLAGE}098`, '330523999999001']);
    const failed = expectStatus(await upload('/admin/regions/import?dryRun=false', bad, 'dipu.geojson'), 422);
    expect(failed.body.errors.map((e: { field: string }) => e.field)).toContain('feature 330523999999001');
    expect((await api.db.query(`SELECT count(*)::int AS n FROM regions WHERE code = $1`, [`${VILLAGE}099`])).rows[0].n).toBe(0);
    expect(await referenceVersion()).toBe(v0);
    expectStatus(await upload('/admin/regions/import?dryRun=true', Buffer.from('not json'), 'x.geojson'), 422, 'file');
    expectStatus(await upload('/admin/regions/import?dryRun=true', Buffer.from('{"type":"Feature"}'), 'x.geojson'), 422, 'file');

    const good = file([feature(GRID, shrunk), feature(`${VILLAGE}099`, square, '试点网格')]);
    const done = expectStatus(await upload('/admin/regions/import?dryRun=false', good, 'dipu.geojson'), 200).body;
    expect(done).toMatchObject({ dryRun: false, valid: true, written: true, gridTeamsCreated: [`${VILLAGE}099-WG`] });
    expect(await referenceVersion()).toBeGreaterThan(v0);
    const rows = (await api.db.query(`SELECT code, synthetic, geom_source FROM regions WHERE code = ANY($1) ORDER BY code`, [[GRID, `${VILLAGE}099`]])).rows;
    expect(rows).toEqual([{ code: GRID, synthetic: false, geom_source: 'dipu.geojson' }, { code: `${VILLAGE}099`, synthetic: false, geom_source: 'dipu.geojson' }]);
    const [entry] = (await api.db.query(`SELECT username, detail FROM audit_log WHERE action = 'regions.import'`)).rows;
    expect(entry).toMatchObject({ username: 'admin', detail: { source: 'dipu.geojson', added: [`${VILLAGE}099`], changed: [GRID] } });
    // the new grid is uncovered until a worker is placed there; the same file again changes nothing
    expect(expectStatus(await (await admin()).get(`/admin/grids?region=${VILLAGE}&uncovered=true`), 200).body.items.map((g: { code: string }) => g.code))
      .toContain(`${VILLAGE}099`);
    const again = expectStatus(await upload('/admin/regions/import?dryRun=true', file([feature(GRID, shrunk), feature(`${VILLAGE}099`, square), feature(`${VILLAGE}002`, same)]), 'dipu.geojson'), 200).body;
    expect(again).toMatchObject({ valid: true, added: [], unchanged: [GRID, `${VILLAGE}099`] });
    expect(again.changed.map((c: { code: string }) => c.code)).toEqual([`${VILLAGE}002`]); // synthetic until imported as real
  });
});

describe('audit viewer', () => {
  it('filters, keyset pages, time range; export as CSV and xlsx, itself audited', async () => {
    const a = await admin();
    const units = expectStatus(await a.get('/admin/audit?action=unit&limit=3'), 200).body;
    expect(units.items).toHaveLength(3);
    expect(units.retentionDays).toBeGreaterThanOrEqual(183);
    expect(units.items.every((e: { action: string }) => e.action.startsWith('unit.'))).toBe(true);
    const ids = units.items.map((e: { id: string }) => BigInt(e.id));
    expect([...ids].sort((x, y) => (x > y ? -1 : 1))).toEqual(ids);
    const all: string[] = [];
    let before: string | null = null;
    do {
      const page: { items: { id: string }[]; next: string | null } = expectStatus(await a.get(`/admin/audit?action=unit&limit=2${before ? `&before=${before}` : ''}`), 200).body;
      all.push(...page.items.map((e) => e.id));
      before = page.next;
    } while (before);
    const count = (await api.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'unit.%'`)).rows[0].n;
    expect(all).toHaveLength(count);
    expect(new Set(all).size).toBe(count);

    const exact = expectStatus(await a.get(`/admin/audit?action=unit.retire&target=${DIPU}-XFZ&username=admin&outcome=ok`), 200).body.items;
    expect(exact).toHaveLength(1);
    expect(exact[0]).toMatchObject({ username: 'admin', action: 'unit.retire', target: `${DIPU}-XFZ`, detail: { before: { active: true } } });
    // denials are in the log too (the refused calls of the first test)
    expect(expectStatus(await a.get(`/admin/audit?outcome=denied&username=county.op&limit=5`), 200).body.items.length).toBeGreaterThan(0);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(expectStatus(await a.get(`/admin/audit?from=${encodeURIComponent(future)}`), 200).body.items).toHaveLength(0);
    const past = new Date(Date.now() - 3_600_000).toISOString();
    expect(expectStatus(await a.get(`/admin/audit?from=${encodeURIComponent(past)}&to=${encodeURIComponent(future)}&action=unit`), 200).body.items.length).toBeGreaterThan(0);
    expectStatus(await a.get(`/admin/audit?from=${encodeURIComponent(future)}&to=${encodeURIComponent(past)}`), 422, 'to');
    expectStatus(await a.get('/admin/audit?from=yesterday'), 400, 'from');

    const csv = expectStatus(await a.get('/admin/audit/export?format=csv&action=unit').buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    }), 200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const text = (csv.body as Buffer).toString('utf8');
    expect(text.split('\r\n').filter(Boolean)).toHaveLength(count + 1);
    expect(text).toContain('unit.retire');
    const xlsx = await a.get('/admin/audit/export?action=category').buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expectStatus(xlsx, 200);
    expect((xlsx.body as Buffer).subarray(0, 2).toString()).toBe('PK');
    const exports = (await api.db.query(`SELECT username, detail FROM audit_log WHERE action = 'audit.export' ORDER BY id`)).rows;
    expect(exports).toEqual([
      { username: 'admin', detail: { format: 'csv', rows: count, filters: { action: 'unit' } } },
      expect.objectContaining({ username: 'admin', detail: expect.objectContaining({ format: 'xlsx', filters: { action: 'category' } }) }),
    ]);
  });
});
