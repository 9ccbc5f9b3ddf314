/**
 * Map benchmark: 1,000,000 events (100,000 open) spread over every grid of the county, then map/events and map/heat
 * through HTTP (a separate API process) for county-wide, township and village viewports at zooms 8–17, with and
 * without filters; latency per request (sequential, one client). Target: p95 ≤ 30 ms.
 *   npm run bench -- map            (BENCH_EVENTS, BENCH_REPEAT to change the size and the requests per case)
 * Events are generated with one set-based INSERT (the trigger off), then the aggregates are built with the
 * migration's own key expressions (AGGREGATES) and checked against a recount, so they are what the trigger makes.
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import pg from 'pg';
import { AGGREGATES, backfill, stored } from '../migrations/1796600000000-MapAggregates.js';
import { benchDatabase, insertMapEvents, percentile, startProcess, table } from './support.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 20);
const PORT = 3942;
const COUNTY = '330523';
const TOWNSHIP = '330523001'; // 递铺街道, the densest viewport

const db = await benchDatabase('map');
const pool = new pg.Pool({ connectionString: db.url, max: 4 });
pool.on('error', () => undefined);
try {
  const t0 = performance.now();
  await insertMapEvents(pool, COUNTY, EVENTS, 'B');
  const tEvents = performance.now();
  for (const a of AGGREGATES) await pool.query(backfill(a));
  await pool.query(`ALTER TABLE events ENABLE TRIGGER events_map_count, ENABLE TRIGGER events_report_rollup`);
  const tAggregates = performance.now();
  // the trigger from here on: 2,000 changes by plain SQL (status, warning), then every aggregate recounted
  await pool.query(`UPDATE events SET status = 'closed', warning = 'none' WHERE id IN (SELECT id FROM events WHERE status = 'handled' LIMIT 1000)`);
  await pool.query(`UPDATE events SET warning = 'red' WHERE id IN (SELECT id FROM events WHERE status = 'reported' AND warning = 'none' LIMIT 1000)`);
  for (const a of AGGREGATES) {
    const recount = `SELECT ${a.key('e').join(', ')}, count(*)::int FROM events e GROUP BY ${a.columns.map((_, i) => i + 1).join(', ')}`;
    const diff = (await pool.query(`(${recount} EXCEPT ALL ${stored(a)}) UNION ALL (${stored(a)} EXCEPT ALL ${recount})`)).rowCount;
    if (diff !== 0) throw new Error(`${a.table}${a.level === undefined ? '' : ` level ${a.level}`} differs from a recount in ${diff} rows`);
  }
  const tables = [...new Set(AGGREGATES.map((a) => a.table))];
  await pool.query(`VACUUM ANALYZE events`);
  for (const t of tables) await pool.query(`VACUUM ANALYZE ${t}`);
  const sizes = (await pool.query(`SELECT (SELECT count(*) FROM events)::int AS events,
      (SELECT count(*) FROM events WHERE status NOT IN ('closed','rejected','merged'))::int AS open,
      ${tables.map((t) => `(SELECT count(*) FROM ${t})::int AS ${t}`).join(', ')}`)).rows[0];
  console.log(`\ndata: ${JSON.stringify(sizes)}; events ${((tEvents - t0) / 1000).toFixed(1)} s, aggregates ${((tAggregates - tEvents) / 1000).toFixed(1)} s\n`);

  const box = async (code: string) => {
    const r = (await pool.query(`SELECT ST_XMin(e) a, ST_YMin(e) b, ST_XMax(e) c, ST_YMax(e) d FROM (SELECT ST_Extent(geom) e FROM regions WHERE code = $1) x`, [code])).rows[0];
    return [r.a, r.b, r.c, r.d].map((n: number) => Number(n.toFixed(6))) as [number, number, number, number];
  };
  // a village near the township's centre (the densest part of the county)
  const village = (await pool.query(`SELECT code FROM regions WHERE parent_code = $1 AND level = 'village' ORDER BY ST_Area(geom) LIMIT 1 OFFSET 3`, [TOWNSHIP])).rows[0].code;
  const views = { county: await box(COUNTY), township: await box(TOWNSHIP), village: await box(village) };
  const fits = (b: number[], zoom: number) => { // a 1,600 × 1,000 px screen centred on the box at that zoom
    const w = (1600 / 256) * (360 / 2 ** zoom) / 2;
    const h = (1000 / 256) * (360 / 2 ** zoom) * 0.86 / 2;
    const cx = (b[0]! + b[2]!) / 2;
    const cy = (b[1]! + b[3]!) / 2;
    return [cx - w, cy - h, cx + w, cy + h].map((n) => n.toFixed(6)).join(',');
  };

  const api = await startProcess('dist/apps/api/src/main.js', { DATABASE_URL: db.url, PORT: String(PORT), LOG_LEVEL: 'error',
    JWT_SECRET: randomBytes(48).toString('base64url'), PII_KEY: randomBytes(48).toString('base64'), DB_POOL_SIZE: '10', REDIS_PREFIX: `bench_map_${Date.now()}` }, `http://127.0.0.1:${PORT}/health/live`);
  const agent = new Pool(`http://127.0.0.1:${PORT}`, { connections: 2 });
  const rows: Record<string, string | number>[] = [];
  const all: number[] = [];
  try {
    const login = async (username: string) => {
      const res = await agent.request({ path: '/api/v1/auth/login', method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: 'Grid141!demo' }) });
      const body = await res.body.json() as { accessToken: string };
      if (res.statusCode !== 200) throw new Error(`login ${username}: ${res.statusCode}`);
      return body.accessToken;
    };
    const tokens: Record<string, string> = { 'county.op': await login('county.op'), [`tw.${TOWNSHIP}`]: await login(`tw.${TOWNSHIP}`) };
    const day = (offset: number) => new Date(Date.now() + 8 * 3600_000 - offset * 86400_000).toISOString().slice(0, 10);
    const eventFilters: Record<string, string> = { none: '', 'categoryCode=09': '&categoryCode=09', 'categoryCode=0101': '&categoryCode=0101',
      'warning=red': '&warning=red', 'last 7 days': `&from=${day(7)}&to=${day(0)}`, 'status=reported,accepted': '&status=reported,accepted' };
    const heatFilters: Record<string, string> = { none: '', 'categoryCode=09': '&categoryCode=09', 'last 7 days': `&from=${day(7)}&to=${day(0)}` };
    const cases: { endpoint: string; view: keyof typeof views; zooms: number[]; filters: Record<string, string> }[] = [];
    for (const endpoint of ['events', 'heat']) {
      const filters = endpoint === 'events' ? eventFilters : heatFilters;
      cases.push({ endpoint, view: 'county', zooms: [8, 9, 10, 11], filters }, { endpoint, view: 'township', zooms: [12, 13], filters },
        { endpoint, view: 'village', zooms: [14, 15, 16, 17], filters });
    }
    for (const c of cases) {
      for (const [filterName, filter] of Object.entries(c.filters)) {
        for (const username of Object.keys(tokens)) {
          const latencies: number[] = [];
          const modes = new Set<string>();
          for (const zoom of c.zooms) {
            const path = `/api/v1/map/${c.endpoint}?bbox=${fits(views[c.view], zoom)}&zoom=${zoom}${filter}`;
            for (let i = 0; i < REPEAT + 2; i++) {
              const t = performance.now();
              const res = await agent.request({ path, method: 'GET', headers: { authorization: `Bearer ${tokens[username]}` } });
              const text = await res.body.text();
              const ms = performance.now() - t;
              if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${text.slice(0, 300)}`);
              if (i >= 2) latencies.push(ms); // the first two warm the caches
              if (c.endpoint === 'events') modes.add((JSON.parse(text) as { mode: string }).mode);
            }
          }
          latencies.sort((a, b) => a - b);
          all.push(...latencies);
          rows.push({ endpoint: `map/${c.endpoint}`, view: c.view, zooms: `${c.zooms[0]}–${c.zooms[c.zooms.length - 1]}`, caller: username,
            filter: filterName, mode: [...modes].join(',') || 'heat', n: latencies.length,
            p50Ms: Number(percentile(latencies, 50).toFixed(1)), p95Ms: Number(percentile(latencies, 95).toFixed(1)), maxMs: Number(latencies[latencies.length - 1]!.toFixed(1)) });
        }
      }
    }
  } finally {
    await agent.close();
    api.kill('SIGTERM');
  }
  console.log(`map: ${sizes.events} events (${sizes.open} open), ${REPEAT} sequential requests per zoom and case after 2 warm-ups\n`);
  table(rows);
  all.sort((a, b) => a - b);
  const worst = rows.reduce((w, r) => (Number(r.p95Ms) > Number(w.p95Ms) ? r : w), rows[0]!);
  const over = rows.filter((r) => Number(r.p95Ms) > 30);
  console.log(`\nall requests: p50 ${percentile(all, 50).toFixed(1)} ms, p95 ${percentile(all, 95).toFixed(1)} ms; cases over 30 ms p95: ${over.length} of ${rows.length}`);
  console.log(JSON.stringify({ bench: 'map', events: sizes.events, open: sizes.open, aggregateRows: Object.fromEntries(tables.map((t) => [t, sizes[t]])),
    requests: all.length, p50Ms: Number(percentile(all, 50).toFixed(1)), p95Ms: Number(percentile(all, 95).toFixed(1)),
    worstCase: { ...worst }, casesOver30Ms: over.map((r) => `${r.endpoint} ${r.view} ${r.filter} ${r.caller}: ${r.p95Ms}`) }));
} finally {
  await pool.end();
  // BENCH_KEEP_DB=1 keeps the 1M-event database for EXPLAIN work (its name is printed)
  if (process.env.BENCH_KEEP_DB) console.error(`kept ${db.name}`);
  else await db.drop();
}
