import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { newId, pointIn, startApi } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

// The map API against a brute-force count over the events table: thousands of events across townships, statuses,
// warnings, categories and days, many of them changed after they were written (through the API's transitions and by
// plain SQL, so the trigger's decrements run), then random viewports, zooms, filters and callers. Every answer must
// equal what the events table says under visibility() (restated here independently), and bad input names its field.
jest.setTimeout(60_000);

const COUNTY = '330523';
const DIPU = '330523001';            // 递铺街道
const XIAOFENG = '330523105';        // 孝丰镇
const HANDLER_UNIT = `${DIPU}-JG`;
const OPEN = ['reported', 'accepted', 'dispatched', 'handling', 'handled', 'suspended'];
const STATUSES = [...OPEN, 'closed', 'rejected', 'merged'];
const DAY = `(created_at AT TIME ZONE 'Asia/Shanghai')::date`;
const CELL = (level: number) => `floor(ST_Y(location) * ${2 ** level})::int, floor(ST_X(location) * ${2 ** level})::int`;
/** Every aggregate (a pyramid table once per level): its rows, and the same key counted over events. */
const AGGREGATES: [string, string, string][] = [
  ['map_region_totals', 'status, region_code, warning', 'status, region_code, warning'],
  ...[6, 8].map((l): [string, string, string] => [`map_cell_totals WHERE level = ${l}`, 'status, cell_y, cell_x, region_code, warning',
    `status, ${CELL(l)}, region_code, warning`]),
  ['map_cell_category_totals WHERE level = 10', 'category_code, status, cell_y, cell_x, region_code, warning', `category_code, status, ${CELL(10)}, region_code, warning`],
  ['map_cell_counts', 'day, status, cell_y, cell_x, region_code, category_code, warning', `${DAY}, status, ${CELL(10)}, region_code, category_code, warning`],
];

let api: ApiHarness;
let gridWorker: string;            // a grid worker of 递铺 whose own reports also lie outside its grid
let countyBox: [number, number, number, number];

beforeAll(async () => {
  api = await startApi('map');
  const grid = (await api.db.query(`SELECT code FROM regions WHERE level = 'grid' AND code LIKE $1 || '%' ORDER BY code LIMIT 1`, [DIPU])).rows[0].code;
  gridWorker = `gw.${grid}`;
  // 10,000 events in every grid of the county (points inside the grid), statuses, warnings, categories, the last 40
  // days; involved units include a 递铺 platform for some; the grid worker above reports some in other townships
  await api.db.query(
    `WITH cats AS (SELECT array_agg(code ORDER BY code) AS a FROM categories WHERE is_event AND active),
          g AS (SELECT code, parent_code, (ST_Dump(ST_GeneratePoints(geom, 40, 7))).geom AS p FROM regions WHERE level = 'grid' AND code LIKE $1 || '%'),
          r AS (SELECT g.*, row_number() OVER (ORDER BY g.code) AS i FROM g)
     INSERT INTO events (id, code, category_code, description, urgency, source, location, region_code, grid_code, village_code, township_code,
       county_code, status, level, warning, owner_unit_code, centre_unit_code, involved_unit_codes, reporter_id, created_at, updated_at)
     SELECT gen_random_uuid(), 'T' || lpad(r.i::text, 10, '0'), cats.a[1 + (r.i * 7) % 12], '地图测试', CASE WHEN r.i % 5 = 0 THEN 'urgent' ELSE 'normal' END, 'grid', r.p,
       r.code, r.code, r.parent_code, left(r.code, 9), $1, ($2::text[])[1 + r.i % 9], 'township', (ARRAY['none','none','yellow','red'])[1 + r.i % 4],
       left(r.code, 9) || '-ZH', left(r.code, 9) || '-ZH',
       CASE WHEN r.i % 3 = 0 THEN ARRAY[left(r.code, 9) || '-ZH', $3] ELSE ARRAY[left(r.code, 9) || '-ZH'] END,
       CASE WHEN r.i % 50 = 0 THEN (SELECT id FROM users WHERE username = $4) ELSE NULL END,
       now() - (r.i % 40) * interval '1 day' - (r.i % 24) * interval '1 hour', now()
     FROM r, cats`, [COUNTY, STATUSES, HANDLER_UNIT, gridWorker]);
  // changes after the fact by plain SQL: every writer is counted (status, warning, category, place, day; and deletes)
  await api.db.query(`UPDATE events SET status = CASE WHEN status = 'reported' THEN 'closed' ELSE 'handling' END, warning = 'red'
    WHERE code LIKE 'T%' AND right(code, 1) IN ('1', '6')`);
  await api.db.query(`UPDATE events SET category_code = '0901', created_at = created_at - interval '3 days' WHERE code LIKE 'T%' AND right(code, 2) = '07'`);
  await api.db.query(`UPDATE events e SET location = ST_SetSRID(ST_MakePoint(ST_X(location) + 0.0004, ST_Y(location)), 4326) WHERE code LIKE 'T%' AND right(code, 2) = '13'`);
  await api.db.query(`DELETE FROM events WHERE code LIKE 'T%' AND right(code, 2) = '29'`);
  // and through the API: reports, then transitions (accept, reject, dispatch) and a yellow card the SLA would give
  for (const [township, n] of [[DIPU, 6], [XIAOFENG, 4]] as const) {
    const g = (await api.db.query(`SELECT code FROM regions WHERE level = 'grid' AND code LIKE $1 || '%' ORDER BY code LIMIT 1`, [township])).rows[0].code;
    const at = await pointIn(api.db, g);
    const tw = await api.as(`tw.${township}`);
    for (let i = 0; i < n; i++) {
      const res = await (await api.as(`gw.${g}`)).post('/events', { id: newId(), categoryCode: i % 2 ? '0901' : '0101', description: `地图测试上报 ${i}`, location: at });
      expect(res.status).toBe(201);
      if (i % 3 === 0) expect((await tw.post(`/events/${res.body.id}/actions`, { type: 'reject', reason: '测试作废' })).status).toBe(201);
      if (i % 3 === 1) {
        expect((await tw.post(`/events/${res.body.id}/actions`, { type: 'accept' })).status).toBe(201);
        expect((await tw.post(`/events/${res.body.id}/actions`, { type: 'dispatch', unitCode: `${township}-JG` })).status).toBe(201);
      }
    }
  }
  await api.db.query(`UPDATE events SET warning = 'yellow' WHERE status = 'dispatched' AND code NOT LIKE 'T%'`);
  const [box] = (await api.db.query(`SELECT ST_XMin(e) AS a, ST_YMin(e) AS b, ST_XMax(e) AS c, ST_YMax(e) AS d FROM (SELECT ST_Extent(geom) AS e FROM regions WHERE code = $1) x`, [COUNTY])).rows;
  countyBox = [box.a, box.b, box.c, box.d];
}, 120_000);
afterAll(async () => { await api?.close(); });

type Actor = { username: string; role: string; jurisdiction: string; unit: string | null; id: string };
const actors = new Map<string, Actor>();
async function actor(username: string): Promise<Actor> {
  if (!actors.has(username)) {
    const r = (await api.db.query(`SELECT id, role, jurisdiction_code AS jurisdiction, unit_code AS unit FROM users WHERE username = $1`, [username])).rows[0];
    actors.set(username, { username, ...r });
  }
  return actors.get(username)!;
}

/** visibility(), restated: the events a caller may see. */
function visible(a: Actor, params: unknown[]): string {
  const p = (v: unknown) => { params.push(v); return `$${params.length}`; };
  if (a.role === 'handler') return `${p(a.unit)}::text = ANY(e.involved_unit_codes)`;
  if (a.role === 'grid_worker') return `(starts_with(e.region_code, ${p(a.jurisdiction)}) OR e.reporter_id = ${p(a.id)}::uuid)`;
  return `starts_with(e.region_code, ${p(a.jurisdiction)})`;
}

interface Filters { status?: string[]; warning?: string; categoryCode?: string; from?: string; to?: string }

function matching(a: Actor, f: Filters, params: unknown[], statuses: string[] | null): string {
  const where = [visible(a, params)];
  const p = (v: unknown) => { params.push(v); return `$${params.length}`; };
  if (statuses) where.push(`e.status = ANY(${p(statuses)}::text[])`);
  if (f.warning) where.push(`e.warning = ${p(f.warning)}`);
  if (f.categoryCode) where.push(`starts_with(e.category_code, ${p(f.categoryCode)})`);
  if (f.from) where.push(`to_char(e.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') >= ${p(f.from)}`);
  if (f.to) where.push(`to_char(e.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') <= ${p(f.to)}`);
  return where.join(' AND ');
}

const query = (q: Record<string, unknown>) => Object.entries(q).filter(([, v]) => v !== undefined)
  .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join('&');

const day = (offset: number) => new Date(Date.now() + 8 * 3600_000 - offset * 86400_000).toISOString().slice(0, 10);

type Feature = { geometry: { coordinates: [number, number] }; properties: Record<string, unknown> & { kind: string; count?: number; byStatus?: Record<string, number>; byWarning?: Record<string, number> } };

/** The expected answer of map/events by brute force over the events table. */
async function expectedEvents(a: Actor, bbox: number[], zoom: number, f: Filters) {
  const statuses = f.status ?? OPEN;
  if (zoom <= 13) {
    const length = zoom <= 11 ? 9 : 12;
    const params: unknown[] = [];
    const where = matching(a, f, params, statuses);
    params.push(length === 9 ? 'township' : 'village', ...bbox);
    const n = params.length;
    const rows = (await api.db.query(
      `WITH r AS (SELECT code, ST_PointOnSurface(geom) AS p FROM regions WHERE level = $${n - 4} AND starts_with(code, '${COUNTY}'))
       SELECT r.code AS key, e.status, e.warning, count(*)::int AS n FROM r JOIN events e ON starts_with(e.region_code, r.code)
        WHERE ${where} AND ST_X(r.p) BETWEEN $${n - 3} AND $${n - 1} AND ST_Y(r.p) BETWEEN $${n - 2} AND $${n}
        GROUP BY 1, 2, 3`, params)).rows;
    return { mode: length === 9 ? 'township' : 'village', rows };
  }
  const level = Math.min(zoom - 6, 10);
  const params: unknown[] = [];
  const where = matching(a, f, params, statuses);
  params.push(2 ** level, ...bbox);
  const n = params.length;
  // cells meeting the box (for the "few enough" rule), then those whose centre is in it
  const all = (await api.db.query(
    `SELECT floor(ST_X(e.location) * $${n - 4})::int AS x, floor(ST_Y(e.location) * $${n - 4})::int AS y, e.status, e.warning, count(*)::int AS n
       FROM events e WHERE ${where}
        AND floor(ST_X(e.location) * $${n - 4}) BETWEEN floor($${n - 3}::float8 * $${n - 4}) AND floor($${n - 1}::float8 * $${n - 4})
        AND floor(ST_Y(e.location) * $${n - 4}) BETWEEN floor($${n - 2}::float8 * $${n - 4}) AND floor($${n}::float8 * $${n - 4})
      GROUP BY 1, 2, 3, 4`, params)).rows as { x: number; y: number; status: string; warning: string; n: number }[];
  if (all.reduce((s, r) => s + r.n, 0) <= 200) {
    const p2: unknown[] = [];
    const w2 = matching(a, f, p2, statuses);
    p2.push(...bbox);
    const m = p2.length;
    const ids = (await api.db.query(`SELECT e.id FROM events e WHERE ${w2} AND ST_X(e.location) BETWEEN $${m - 3} AND $${m - 1} AND ST_Y(e.location) BETWEEN $${m - 2} AND $${m}`, p2)).rows.map((r) => r.id as string);
    return { mode: 'event', ids };
  }
  const per = 2 ** level;
  const rows = all.filter((r) => (r.x + 0.5) / per >= bbox[0] && (r.x + 0.5) / per <= bbox[2] && (r.y + 0.5) / per >= bbox[1] && (r.y + 0.5) / per <= bbox[3])
    .map((r) => ({ key: `${r.x}|${r.y}`, status: r.status, warning: r.warning, n: r.n }));
  return { mode: 'cell', rows, per };
}

/** Features as (key, status, warning, n) rows, to compare with the brute force. */
function asRows(features: Feature[], mode: string, per?: number) {
  const rows: { key: string; status: string; warning: string; n: number }[] = [];
  for (const f of features) {
    const p = f.properties;
    const key = mode === 'cell' ? `${Math.floor(f.geometry.coordinates[0] * per!)}|${Math.floor(f.geometry.coordinates[1] * per!)}` : String(p.code);
    const byStatus = p.byStatus!;
    expect(Object.values(byStatus).reduce((s, n) => s + n, 0)).toBe(p.count);
    expect(Object.values(p.byWarning!).reduce((s, n) => s + n, 0)).toBe(p.count);
    rows.push({ key, status: '*', warning: '*', n: p.count! });
    for (const [s, n] of Object.entries(byStatus)) rows.push({ key, status: s, warning: '*', n });
    for (const [w, n] of Object.entries(p.byWarning!)) if (n > 0) rows.push({ key, status: '*', warning: w, n });
  }
  return rows;
}

function rollUp(rows: { key: string; status: string; warning: string; n: number }[]) {
  const m = new Map<string, number>();
  const add = (k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
  for (const r of rows) {
    add(`${r.key}|*|*`, r.n);
    add(`${r.key}|${r.status}|*`, r.n);
    add(`${r.key}|*|${r.warning}`, r.n);
  }
  return [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
}

const fromRows = (rows: { key: string; status: string; warning: string; n: number }[]) =>
  [...rows.reduce((m, r) => m.set(`${r.key}|${r.status}|${r.warning}`, (m.get(`${r.key}|${r.status}|${r.warning}`) ?? 0) + r.n), new Map<string, number>())]
    .sort(([a], [b]) => a.localeCompare(b));

/** Compares one map/events answer with the brute force; returns its mode. */
async function checkViewport(username: string, bbox: number[], zoom: number, f: Filters): Promise<string> {
  const a = await actor(username);
      const res = await (await api.as(username)).get(`/map/events?${query({ bbox: bbox.join(','), zoom: zoom, ...f })}`);
      expect([res.status, res.text.slice(0, 200)]).toEqual([200, expect.any(String)]);
      const want = await expectedEvents(a, bbox, zoom, f);
      expect({ caller: username, mode: res.body.mode }).toEqual({ caller: username, mode: want.mode });
      const features = res.body.features as Feature[];
      if (want.mode === 'event') {
        expect(features.map((x) => x.properties.id).sort()).toEqual([...want.ids!].sort());
        expect(res.body.total).toBe(want.ids!.length);
      } else {
        expect(rollUp(asRows(features, want.mode, want.per).filter((r) => r.status === '*' && r.warning === '*').map((r) => ({ ...r, status: 'x', warning: 'x' }))))
          .toEqual(rollUp(want.rows!.map((r) => ({ ...r, status: 'x', warning: 'x' }))));
        const got = asRows(features, want.mode, want.per);
        const byStatus = fromRows(got.filter((r) => r.status !== '*'));
        const byWarning = fromRows(got.filter((r) => r.warning !== '*'));
        expect(byStatus).toEqual(fromRows(want.rows!.map((r) => ({ ...r, warning: '*' }))));
        expect(byWarning).toEqual(fromRows(want.rows!.map((r) => ({ ...r, status: '*' }))));
        expect(res.body.total).toBe(want.rows!.reduce((s, r) => s + r.n, 0));
      }
      // jurisdiction, said plainly: a township dispatcher's bubbles are its own township's
      if (username.startsWith('tw.') && want.mode !== 'event' && want.mode !== 'cell') {
        for (const x of features) expect(String(x.properties.code).startsWith(a.jurisdiction)).toBe(true);
      }
  return res.body.mode as string;
}

describe('map aggregates', () => {
  it('equal a recount of the events table after inserts, updates, deletes and transitions', async () => {
    const { rows: [{ n }] } = await api.db.query(`SELECT count(*)::int AS n FROM events`);
    expect(n).toBeGreaterThan(10000);
    // every map table is checked here
    const tables = (await api.db.query(`SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'map\\_%' ORDER BY 1`)).rows.map((r) => r.tablename as string);
    expect(tables).toEqual([...new Set(AGGREGATES.map(([t]) => t.split(' ')[0]!))].sort());
    for (const [table, columns, key] of AGGREGATES) {
      const { rows } = await api.db.query(
        `(SELECT ${key}, count(*)::int FROM events GROUP BY ${key}) EXCEPT ALL (SELECT ${columns}, n FROM ${table})
         UNION ALL
         (SELECT ${columns}, n FROM ${table}) EXCEPT ALL (SELECT ${key}, count(*)::int FROM events GROUP BY ${key})`);
      expect([table, rows]).toEqual([table, []]);
    }
  });
});

describe('GET /api/v1/map/events', () => {
  const callers = ['county.op', `tw.${DIPU}`, `tw.${XIAOFENG}`, `h.${HANDLER_UNIT}`, 'GRID'];

  it('counts equal a brute-force count for random viewports, zooms, filters and callers', async () => {
    const viewport = fc.record({
      zoom: fc.integer({ min: 8, max: 17 }),
      cx: fc.double({ min: 0, max: 1, noNaN: true }), cy: fc.double({ min: 0, max: 1, noNaN: true }),
      w: fc.double({ min: 0.05, max: 1, noNaN: true }), h: fc.double({ min: 0.05, max: 1, noNaN: true }),
      caller: fc.constantFrom(...callers),
      status: fc.option(fc.subarray(STATUSES, { minLength: 1 }), { nil: undefined }),
      warning: fc.option(fc.constantFrom('none', 'yellow', 'red'), { nil: undefined }),
      categoryCode: fc.option(fc.constantFrom('01', '0101', '0901', '09', '02'), { nil: undefined }),
      window: fc.option(fc.tuple(fc.integer({ min: 0, max: 45 }), fc.integer({ min: 0, max: 20 })), { nil: undefined }),
    });
    const modes = new Set<string>();
    // dense viewports over 递铺's centre at cell zooms, then random ones anywhere
    const centre = await pointIn(api.db, DIPU);
    for (const [zoom, span] of [[14, 0.12], [15, 0.06], [16, 0.03]] as const) {
      for (const username of ['county.op', `tw.${DIPU}`, `h.${HANDLER_UNIT}`]) {
        modes.add(await checkViewport(username, [centre.lng - span, centre.lat - span / 2, centre.lng + span, centre.lat + span / 2].map((n) => Number(n.toFixed(6))), zoom,
          { status: STATUSES }));
      }
    }
    await fc.assert(fc.asyncProperty(viewport, async (v) => {
      const username = v.caller === 'GRID' ? gridWorker : v.caller;
      // a screen of up to ~1,500 × 1,000 px at the zoom, somewhere over the county
      const spanX = Math.min(6, (1500 / 256) * (360 / 2 ** v.zoom) * v.w);
      const spanY = Math.min(4, (1000 / 256) * (360 / 2 ** v.zoom) * 0.86 * v.h);
      const x0 = countyBox[0] + (countyBox[2] - countyBox[0]) * v.cx - spanX / 2;
      const y0 = countyBox[1] + (countyBox[3] - countyBox[1]) * v.cy - spanY / 2;
      const bbox = [x0, y0, x0 + spanX, y0 + spanY].map((n) => Number(n.toFixed(6)));
      const f: Filters = { status: v.status, warning: v.warning, categoryCode: v.categoryCode,
        from: v.window ? day(v.window[0]) : undefined, to: v.window ? day(Math.max(0, v.window[0] - v.window[1])) : undefined };
      modes.add(await checkViewport(username, bbox, v.zoom, f));
    }), { numRuns: 120, seed: 141 });
    expect([...modes].sort()).toEqual(['cell', 'event', 'township', 'village']);
  });

  it('a township dispatcher never sees another township: bubbles, cells and points', async () => {
    const tw = await api.as(`tw.${DIPU}`);
    const whole = countyBox.join(',');
    const bubbles = (await tw.get(`/map/events?bbox=${whole}&zoom=10&status=${STATUSES.join(',')}`)).body;
    expect(bubbles.features.map((x: Feature) => x.properties.code)).toEqual([DIPU]);
    const { rows: [{ n }] } = await api.db.query(`SELECT count(*)::int AS n FROM events WHERE township_code = $1`, [DIPU]);
    expect(bubbles.total).toBe(n);
    // the grid worker's events in other townships are not in 递铺's points
    const [{ lng, lat }] = (await api.db.query(`SELECT ST_X(location) AS lng, ST_Y(location) AS lat FROM events WHERE township_code = $1 LIMIT 1`, [XIAOFENG])).rows;
    const near = [lng - 0.002, lat - 0.002, lng + 0.002, lat + 0.002].join(',');
    const other = (await tw.get(`/map/events?bbox=${near}&zoom=17&status=${STATUSES.join(',')}`)).body;
    expect(other.mode).toBe('event');
    expect(other.features).toEqual([]);
    const county = (await (await api.as('county.op')).get(`/map/events?bbox=${near}&zoom=17&status=${STATUSES.join(',')}`)).body;
    expect(county.features.length).toBeGreaterThan(0);
    for (const x of county.features as Feature[]) {
      expect(Object.keys(x.properties).sort()).toEqual(['categoryCode', 'code', 'id', 'kind', 'status', 'urgency', 'warning']);
    }
  });

  it('refuses bad input with a problem naming the field', async () => {
    const op = await api.as('county.op');
    const ok = 'bbox=119.6,30.6,119.7,30.7&zoom=12';
    const cases: [string, number, string][] = [
      ['zoom=12', 400, 'bbox'],
      ['bbox=119.6,30.6,119.7&zoom=12', 400, 'bbox'],
      ['bbox=119.7,30.6,119.6,30.7&zoom=12', 400, 'bbox'],
      ['bbox=119.6,30.7,119.7,30.6&zoom=12', 400, 'bbox'],
      ['bbox=a,b,c,d&zoom=12', 400, 'bbox'],
      ['bbox=-180,-90,180,90&zoom=8', 422, 'bbox'],
      ['bbox=119,30,120,31&zoom=16', 422, 'bbox'],
      ['bbox=119.6,30.6,119.7,30.7', 400, 'zoom'],
      ['bbox=119.6,30.6,119.7,30.7&zoom=2', 400, 'zoom'],
      ['bbox=119.6,30.6,119.7,30.7&zoom=30', 400, 'zoom'],
      ['bbox=119.6,30.6,119.7,30.7&zoom=12.5', 400, 'zoom'],
      [`${ok}&from=2026-11-20&to=2026-11-10`, 422, 'from'],
      [`${ok}&from=2026-02-30`, 400, 'from'],
      [`${ok}&status=open`, 400, 'status'],
      [`${ok}&warning=blue`, 400, 'warning'],
      [`${ok}&categoryCode=123`, 400, 'categoryCode'],
    ];
    for (const [q, status, field] of cases) {
      for (const path of ['/map/events', '/map/heat']) {
        if (path === '/map/heat' && /status=|warning=/.test(q)) continue;
        const res = await op.get(`${path}?${q}`);
        expect([path, q, res.status, res.body.errors?.[0]?.field]).toEqual([path, q, status, field]);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    }
  });
});

describe('GET /api/v1/map/heat', () => {
  it('open events per cell equal a brute-force count, with and without filters, for each kind of caller', async () => {
    for (const username of ['county.op', `tw.${DIPU}`, `h.${HANDLER_UNIT}`, gridWorker]) {
      const a = await actor(username);
      for (const [zoom, f] of [[10, {}], [12, { categoryCode: '01' }], [9, { from: day(20), to: day(5) }], [14, {}], [11, { categoryCode: '0901', from: day(30) }]] as [number, Filters][]) {
        const span = Math.min(0.7, (1500 / 256) * (360 / 2 ** zoom));
        const bbox = [119.68 - span / 2, 30.62 - span / 3, 119.68 + span / 2, 30.62 + span / 3].map((n) => Number(n.toFixed(6)));
        const res = await (await api.as(username)).get(`/map/heat?${query({ bbox: bbox.join(','), zoom, ...f })}`);
        expect(res.status).toBe(200);
        const per = 2 ** Math.min(zoom - 5, 10);
        const params: unknown[] = [];
        const where = matching(a, f, params, OPEN);
        params.push(per);
        const rows = (await api.db.query(`SELECT floor(ST_X(e.location) * $${params.length})::int AS x, floor(ST_Y(e.location) * $${params.length})::int AS y, count(*)::int AS n
          FROM events e WHERE ${where} GROUP BY 1, 2`, params)).rows as { x: number; y: number; n: number }[];
        const want = rows.filter((r) => (r.x + 0.5) / per >= bbox[0] && (r.x + 0.5) / per <= bbox[2] && (r.y + 0.5) / per >= bbox[1] && (r.y + 0.5) / per <= bbox[3])
          .map((r) => `${r.x}|${r.y}|${r.n}`).sort();
        const got = (res.body.cells as [number, number, number][]).map(([lng, lat, w]) => `${Math.floor(lng * per)}|${Math.floor(lat * per)}|${w}`).sort();
        expect({ username, zoom, f, cells: got }).toEqual({ username, zoom, f, cells: want });
        expect(res.body.total).toBe(want.reduce((s, c) => s + Number(c.split('|')[2]), 0));
      }
    }
  });
});

describe('GET /api/v1/map/regions with filters', () => {
  it('counts open, red, yellow and total per child from the aggregates, for a time window and a category, per caller', async () => {
    for (const username of ['county.op', `tw.${DIPU}`, `h.${HANDLER_UNIT}`, gridWorker]) {
      const a = await actor(username);
      for (const [parent, level, f] of [[COUNTY, 'township', {}], [COUNTY, 'township', { categoryCode: '01', from: day(25), to: day(3) }],
        [DIPU, 'village', { categoryCode: '0901' }], [DIPU, 'village', { from: day(10) }]] as [string, string, Filters][]) {
        const res = await (await api.as(username)).get(`/map/regions?${query({ parent, level, ...f })}`);
        expect(res.status).toBe(200);
        const params: unknown[] = [];
        const where = matching(a, f, params, null);
        params.push(parent, a.jurisdiction);
        const n = params.length;
        const want = (await api.db.query(
          `SELECT r.code, count(e.id) FILTER (WHERE e.status = ANY('{${OPEN.join(',')}}'))::int AS open,
                  count(e.id) FILTER (WHERE e.status = ANY('{${OPEN.join(',')}}') AND e.warning = 'red')::int AS red,
                  count(e.id) FILTER (WHERE e.status = ANY('{${OPEN.join(',')}}') AND e.warning = 'yellow')::int AS yellow,
                  count(e.id)::int AS total
             FROM regions r LEFT JOIN events e ON starts_with(e.region_code, r.code) AND ${where}
            WHERE r.parent_code = $${n - 1} AND r.geom IS NOT NULL AND (starts_with(r.code, $${n}) OR starts_with($${n}, r.code))
            GROUP BY r.code ORDER BY r.code`, params)).rows;
        const got = (res.body.features as { properties: { code: string; open: number; red: number; yellow: number; total: number } }[])
          .map(({ properties: p }) => ({ code: p.code, open: p.open, red: p.red, yellow: p.yellow, total: p.total }));
        expect({ username, parent, f, got }).toEqual({ username, parent, f, got: want });
      }
    }
    const bad = await (await api.as('county.op')).get(`/map/regions?from=${day(1)}&to=${day(5)}`);
    expect([bad.status, bad.body.errors?.[0]?.field]).toEqual([422, 'from']);
  });
});
