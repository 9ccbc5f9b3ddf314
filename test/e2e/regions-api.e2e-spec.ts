import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { newId, pointIn, startApi } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

// Regions, routing and reference data through the API: every Anji township receives the reports made
// inside it, categories route to the platform the category table names, and the map, units, categories,
// health and OpenAPI endpoints answer with the shapes the design fixes.
jest.setTimeout(60_000);

const COUNTY = '330523';
const DIPU = '330523001';            // 递铺街道
const XIAOFENG = '330523105';        // 孝丰镇

let api: ApiHarness;
let townships: { code: string; name: string }[] = [];
beforeAll(async () => {
  api = await startApi('regions_api');
  townships = (await api.db.query(`SELECT code, name FROM regions WHERE parent_code = $1 ORDER BY code`, [COUNTY])).rows;
}, 120_000);
afterAll(async () => { await api?.close(); });

const as = (username: string) => api.as(username);

/** The first grid of a region (grid workers are `gw.<grid code>`). */
async function firstGrid(regionCode: string): Promise<string> {
  const r = await api.db.query(`SELECT code FROM regions WHERE level = 'grid' AND code LIKE $1 || '%' ORDER BY code LIMIT 1`, [regionCode]);
  return r.rows[0].code;
}

async function report(user: string, at: { lng: number; lat: number }, categoryCode = '0901') {
  const res = await (await as(user)).post('/events', { id: newId(), categoryCode, description: `测试事件 ${categoryCode}`, location: { lng: at.lng, lat: at.lat } });
  if (res.status !== 201) throw new Error(`report by ${user}: ${res.status} ${res.text}`);
  return res.body;
}

describe('reports land in the township that contains them', () => {
  it('has the 15 Anji townships', () => {
    expect(townships).toHaveLength(15);
    expect(townships.map((t) => t.code)).toContain(DIPU);
  });

  it('a report at a point on the surface of each township lands in that township (PostGIS agrees)', async () => {
    await Promise.all(townships.map(async (t) => {
      const grid = await firstGrid(t.code);
      const at = await pointIn(api.db, t.code);
      const ev = await report(`gw.${grid}`, at);
      expect({ township: t.code, got: ev.townshipCode }).toEqual({ township: t.code, got: t.code });
      expect(ev.countyCode).toBe(COUNTY);
      expect(ev.villageCode.startsWith(t.code)).toBe(true);
      expect(ev.gridCode.startsWith(ev.villageCode)).toBe(true);
      expect(ev).toMatchObject({ ownerUnitCode: `${t.code}-ZH`, suggestedUnitCode: `${t.code}-JG`, status: 'reported' });
      const { rows: [c] } = await api.db.query(
        `SELECT ST_Contains(t.geom, e.location) AS contained, ST_Covers(g.geom, e.location) AS grid, ST_Covers(v.geom, e.location) AS village
           FROM events e JOIN regions t ON t.code = e.township_code JOIN regions g ON g.code = e.grid_code JOIN regions v ON v.code = e.village_code
          WHERE e.id = $1`, [ev.id]);
      expect({ township: t.code, ...c }).toEqual({ township: t.code, contained: true, grid: true, village: true });
      // and it is in that township's queue
      const queue = await (await as(`tw.${t.code}`)).get('/events?status=reported&limit=200');
      expect(queue.body.items.map((e: { id: string }) => e.id)).toContain(ev.id);
    }));
  });
});

describe('category routing', () => {
  const CASES = [
    { category: '0901', platform: 'JG' },  // 暴露垃圾 → 监管执法
    { category: '0201', platform: 'ZZ' },  // 治安隐患 → 综治工作
    { category: '0505', platform: 'YJ' },  // 火情 → 应急管理
    { category: '1301', platform: 'GF' },  // 井盖 → 公共服务
    { category: '1102', platform: 'JG' },
    { category: '0601', platform: 'YJ' },
    { category: '1401', platform: 'GF' },
    { category: '0101', platform: 'ZZ' },
  ];

  it('suggests the township platform the category table names, for several categories and townships', async () => {
    const categories = (await (await as('county.op')).get('/categories')).body.items as { code: string; platformTypeCode: string | null }[];
    for (const township of [DIPU, XIAOFENG, townships[townships.length - 1]!.code]) {
      const grid = await firstGrid(township);
      const at = await pointIn(api.db, grid);
      for (const { category, platform } of CASES) {
        const { rows: [expected] } = await api.db.query(
          `SELECT c.platform_type_code AS platform,
                  (SELECT u.code FROM units u WHERE u.region_code = $2 AND u.type = 'township_platform' AND u.platform_type_code = c.platform_type_code) AS unit
             FROM categories c WHERE c.code = $1`, [category, township]);
        expect(expected).toEqual({ platform, unit: `${township}-${platform}` });
        expect(categories.find((c) => c.code === category)?.platformTypeCode).toBe(platform);
        const ev = await report(`gw.${grid}`, at, category);
        expect({ category, township, unit: ev.suggestedUnitCode }).toEqual({ category, township, unit: expected.unit });
        expect(ev.categoryCode).toBe(category);
        // the suggestion is a real dispatch target: the dispatcher can send it there
        if (category === '0505') {
          const tw = await as(`tw.${township}`);
          expect((await tw.post(`/events/${ev.id}/actions`, { type: 'accept' })).status).toBe(201);
          const d = await tw.post(`/events/${ev.id}/actions`, { type: 'dispatch', unitCode: ev.suggestedUnitCode });
          expect(d.status).toBe(201);
          expect(d.body).toMatchObject({ status: 'dispatched', handlerUnitCode: `${township}-YJ` });
        }
      }
    }
  });

  it('every platform-routed event category has a platform unit of the same type in every township', async () => {
    const { rows } = await api.db.query(
      `SELECT c.code AS category, t.code AS township
         FROM categories c CROSS JOIN regions t
        WHERE c.active AND c.is_event AND t.parent_code = $1
          AND c.platform_type_code IN (SELECT DISTINCT platform_type_code FROM units WHERE type = 'township_platform')
          AND NOT EXISTS (SELECT 1 FROM units u WHERE u.region_code = t.code AND u.type = 'township_platform' AND u.active
                            AND u.platform_type_code = c.platform_type_code)`, [COUNTY]);
    expect(rows).toEqual([]);
  });
});

describe('GET /api/v1/regions/locate', () => {
  it('returns grid, village, township and county codes with names', async () => {
    const op = await as('county.op');
    for (const grid of [await firstGrid(DIPU), await firstGrid(XIAOFENG)]) {
      const at = await pointIn(api.db, grid);
      const res = await op.get(`/regions/locate?lng=${at.lng}&lat=${at.lat}`);
      expect(res.status).toBe(200);
      const { rows: names } = await api.db.query(`SELECT code, name FROM regions WHERE code = ANY($1) ORDER BY length(code)`,
        [[COUNTY, grid.slice(0, 9), grid.slice(0, 12), grid]]);
      expect(res.body).toEqual({
        countyCode: COUNTY, countyName: names[0].name,
        townshipCode: grid.slice(0, 9), townshipName: names[1].name,
        villageCode: grid.slice(0, 12), villageName: names[2].name,
        gridCode: grid, gridName: names[3].name,
      });
      expect(res.body.countyName).toBe('安吉县');
    }
  });

  it('refuses points outside the county (422) and bad coordinates (400) as problems', async () => {
    const op = await as('county.op');
    const outside = await op.get('/regions/locate?lng=120.15&lat=30.28');
    expect(outside.status).toBe(422);
    expect(outside.headers['content-type']).toMatch(/^application\/problem\+json/);
    for (const q of ['lng=abc&lat=30.6', 'lng=119.6', 'lng=500&lat=30.6', 'lng=119.6&lat=30.6&crs=bd09', '']) {
      const res = await op.get(`/regions/locate?${q}`);
      expect([q, res.status]).toEqual([q, 400]);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors.length).toBeGreaterThan(0);
    }
  });
});

describe('GET /api/v1/map/regions', () => {
  type Feature = { type: string; geometry: { type: string }; properties: { code: string; name: string; open: number; red: number; yellow: number; total: number } };

  async function townshipMap(user = 'county.op') {
    const res = await (await as(user)).get(`/map/regions?parent=${COUNTY}&level=township`);
    expect(res.status).toBe(200);
    return res.body as { type: string; features: Feature[] };
  }

  it('is a FeatureCollection of the 15 townships with code, name and counts matching the database', async () => {
    const fc = await townshipMap();
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.features).toHaveLength(15);
    expect(fc.features.map((f) => f.properties.code)).toEqual(townships.map((t) => t.code));
    const { rows } = await api.db.query(
      `SELECT t.code, count(e.id) FILTER (WHERE e.status NOT IN ('closed','rejected','merged'))::int AS open, count(e.id)::int AS total
         FROM regions t LEFT JOIN events e ON e.township_code = t.code WHERE t.parent_code = $1 GROUP BY t.code ORDER BY t.code`, [COUNTY]);
    for (const f of fc.features) {
      expect(f.type).toBe('Feature');
      expect(['Polygon', 'MultiPolygon']).toContain(f.geometry.type);
      expect(f.properties.name).toBe(townships.find((t) => t.code === f.properties.code)!.name);
      const db = rows.find((r: { code: string }) => r.code === f.properties.code);
      expect({ code: f.properties.code, open: Number(f.properties.open), total: Number(f.properties.total) }).toEqual(db);
      expect(Number(f.properties.red)).toBe(0);
      expect(Number(f.properties.yellow)).toBe(0);
    }
  });

  it('open counts follow reports and closures', async () => {
    const before = await townshipMap();
    const openIn = (fc: { features: Feature[] }, code: string) => Number(fc.features.find((f) => f.properties.code === code)!.properties.open);
    const totalIn = (fc: { features: Feature[] }, code: string) => Number(fc.features.find((f) => f.properties.code === code)!.properties.total);
    const grid = await firstGrid(XIAOFENG);
    const at = await pointIn(api.db, grid);
    const a = await report(`gw.${grid}`, at);
    await report(`gw.${grid}`, at);
    const mid = await townshipMap();
    expect(openIn(mid, XIAOFENG)).toBe(openIn(before, XIAOFENG) + 2);
    expect(totalIn(mid, XIAOFENG)).toBe(totalIn(before, XIAOFENG) + 2);
    expect(openIn(mid, DIPU)).toBe(openIn(before, DIPU));
    // a rejected event is no longer open but still counts in the total
    const rej = await (await as(`tw.${XIAOFENG}`)).post(`/events/${a.id}/actions`, { type: 'reject', reason: '测试作废' });
    expect(rej.status).toBe(201);
    const after = await townshipMap();
    expect(openIn(after, XIAOFENG)).toBe(openIn(before, XIAOFENG) + 1);
    expect(totalIn(after, XIAOFENG)).toBe(totalIn(before, XIAOFENG) + 2);
  });

  it('a township dispatcher sees only its own township; village level works under a township', async () => {
    const mine = await townshipMap(`tw.${DIPU}`);
    expect(mine.features.map((f) => f.properties.code)).toEqual([DIPU]);
    const villages = await (await as(`tw.${DIPU}`)).get(`/map/regions?parent=${DIPU}&level=village`);
    expect(villages.status).toBe(200);
    const { rows: [{ n }] } = await api.db.query(`SELECT count(*)::int AS n FROM regions WHERE parent_code = $1`, [DIPU]);
    expect(villages.body.features).toHaveLength(n);
    expect(n).toBeGreaterThan(0);
    const bad = await (await as('county.op')).get('/map/regions?level=village');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('parent');
  });
});

describe('units, categories and the region tree', () => {
  it('GET /api/v1/units?regionCode=<township> lists the command room, the four platforms and the stations', async () => {
    const res = await (await as(`tw.${DIPU}`)).get(`/units?regionCode=${DIPU}`);
    expect(res.status).toBe(200);
    const items = res.body.items as { code: string; name: string; type: string; regionCode: string }[];
    const byCode = new Map(items.map((u) => [u.code, u]));
    expect(byCode.get(`${DIPU}-ZH`)).toMatchObject({ type: 'township_centre', regionCode: DIPU, name: '递铺街道综合信息指挥室' });
    for (const p of ['ZZ', 'JG', 'YJ', 'GF']) expect(byCode.get(`${DIPU}-${p}`)).toMatchObject({ type: 'township_platform', regionCode: DIPU });
    for (const s of ['PCS', 'SFS', 'SJS', 'ZFZD']) expect(byCode.get(`${DIPU}-${s}`)).toMatchObject({ type: 'township_station', regionCode: DIPU });
    // the four platforms and the Party-and-government module (党政综合)
    expect(items.filter((u) => u.type === 'township_platform').map((u) => u.code.slice(-2)).sort()).toEqual(['DZ', 'GF', 'JG', 'YJ', 'ZZ']);
    // only units of this township (and its grids)
    for (const u of items) expect(u.regionCode.startsWith(DIPU)).toBe(true);
    expect(items.some((u) => u.code.startsWith(XIAOFENG))).toBe(false);
    const county = await (await as('county.op')).get(`/units?regionCode=${COUNTY}`);
    expect(county.status).toBe(200);
    const types = new Set((county.body.items as { type: string }[]).map((u) => u.type));
    expect([...types].sort()).toEqual(['county_centre', 'county_department']);
  });

  it('GET /api/v1/categories lists 100+ categories with their platform', async () => {
    const res = await (await as(`gw.${await firstGrid(DIPU)}`)).get('/categories');
    expect(res.status).toBe(200);
    const items = res.body.items as { code: string; name: string; majorCode: string; platformTypeCode: string | null }[];
    expect(items.length).toBeGreaterThanOrEqual(100);
    for (const c of items) {
      expect(c.code).toMatch(/^\d{4}$/);
      expect(c.code.startsWith(c.majorCode)).toBe(true);
      expect(c.name).toBeTruthy();
    }
    expect(items.find((c) => c.code === '0901')).toMatchObject({ name: '暴露垃圾', platformTypeCode: 'JG' });
    expect(new Set(items.map((c) => c.code)).size).toBe(items.length);
  });

  it('GET /api/v1/regions walks the tree one level at a time', async () => {
    const op = await as('county.op');
    const top = await op.get('/regions');
    expect(top.status).toBe(200);
    expect(top.body.parent).toMatchObject({ code: COUNTY, name: '安吉县' });
    expect(top.body.items.map((r: { code: string }) => r.code)).toEqual(townships.map((t) => t.code));
    const villages = await op.get(`/regions?parent=${DIPU}`);
    expect(villages.body.items.length).toBeGreaterThan(0);
    for (const v of villages.body.items) expect(v).toMatchObject({ level: 'village', parentCode: DIPU });
  });
});

describe('GET /api/v1/calendar (the working calendar the consoles count working time by)', () => {
  it('gives every signed-in role the holidays and 调休 days in date order, filtered by year, and follows an admin\'s edit', async () => {
    for (const user of [`gw.${await firstGrid(DIPU)}`, `tw.${DIPU}`, `h.${DIPU}-JG`, 'county.op']) {
      const res = await (await as(user)).get('/calendar?year=2026');
      expect(res.status).toBe(200);
      const items = res.body.items as { date: string; kind: string; name: string }[];
      expect(items.find((d) => d.date === '2026-10-01')).toEqual({ date: '2026-10-01', kind: 'holiday', name: '国庆节' });
      expect(items.find((d) => d.date === '2026-09-20')).toMatchObject({ kind: 'workday' });
      expect(items.every((d) => d.date.startsWith('2026-'))).toBe(true);
      expect(items.map((d) => d.date)).toEqual([...items.map((d) => d.date)].sort());
    }
    const admin = await as('admin');
    expect((await admin.put('/admin/calendar/2026-12-18', { kind: 'holiday', name: '测试假日' })).status).toBe(200);
    const after = await (await as(`tw.${DIPU}`)).get('/calendar');
    expect(after.body.items).toContainEqual({ date: '2026-12-18', kind: 'holiday', name: '测试假日' });
    expect((await admin.del('/admin/calendar/2026-12-18')).status).toBe(204);
    const bad = await (await as(`tw.${DIPU}`)).get('/calendar?year=1999');
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(JSON.stringify(bad.body)).toContain('year');
    expect((await api.http().get('/api/v1/calendar')).status).toBe(401);
  });
});

describe('operations and documentation', () => {
  it('/health/live and /health/ready are 200', async () => {
    const live = await api.http().get('/health/live');
    expect(live.status).toBe(200);
    expect(live.body).toEqual({ status: 'ok' });
    const ready = await api.http().get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ok');
    expect(ready.body.checks.postgres).toMatch(/^ok/);
    expect(ready.body.checks.redis).toBe('ok');
  });

  it('GET /docs serves the OpenAPI UI and /docs-json describes the API', async () => {
    const ui = await api.http().get('/docs').redirects(2);
    expect(ui.status).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
    expect(ui.text).toMatch(/swagger/i);
    const doc = await api.http().get('/docs-json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    const paths = Object.keys(doc.body.paths);
    for (const p of ['/api/v1/events', '/api/v1/events/{id}', '/api/v1/events/{id}/actions', '/api/v1/auth/login', '/api/v1/regions/locate',
      '/api/v1/map/regions', '/api/v1/units', '/api/v1/categories', '/api/v1/attachments']) {
      expect(paths).toContain(p);
    }
    expect(doc.body.paths['/api/v1/events'].post).toBeDefined();
  });
});
