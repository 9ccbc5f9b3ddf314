/**
 * Ingest benchmark: sustained report submissions per second through the real HTTP API (a separate process),
 * each one durable (event + timeline row + outbox row, point-in-polygon included, one transaction), beside a
 * baseline measured in the same run: the same rows inserted with plain `pg`, one transaction each.
 *   npm run bench -- ingest            (BENCH_SECONDS, BENCH_CONCURRENCY to change the load)
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { benchDatabase, closedLoop, percentile, startProcess, table } from './support.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 24);
const PORT = 3941;

// undici: a lean HTTP/1.1 client, so the load generator takes as little of the 2 cores as possible
async function post(client: Pool, path: string, token: string | null, body: unknown): Promise<{ status: number; body: string }> {
  const res = await client.request({ path, method: 'POST', body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  return { status: res.statusCode, body: await res.body.text() };
}

const db = await benchDatabase('ingest');
const pool = new pg.Pool({ connectionString: db.url, max: 20 });
pool.on('error', () => undefined); // the database is dropped WITH (FORCE) at the end
try {
  // points spread over every grid of the county, and a logged-in grid worker for each
  const grids = (await pool.query(`SELECT code, ST_X(p) AS lng, ST_Y(p) AS lat FROM (SELECT code, ST_PointOnSurface(geom) p FROM regions
    WHERE level = 'grid' AND code LIKE '330523%' ORDER BY code) x`)).rows as { code: string; lng: number; lat: number }[];
  const api = await startProcess('dist/apps/api/src/main.js', { DATABASE_URL: db.url, PORT: String(PORT), LOG_LEVEL: 'error', JWT_SECRET: randomBytes(48).toString('base64url'), PII_KEY: randomBytes(48).toString('base64url'), DB_POOL_SIZE: '20', API_PROCESSES: process.env.API_PROCESSES ?? '1' },
    `http://127.0.0.1:${PORT}/health/live`);
  const agent = new Pool(`http://127.0.0.1:${PORT}`, { connections: CONCURRENCY, pipelining: 1 });
  let apiRun;
  try {
    const workers = grids.slice(0, 60);
    const tokens: string[] = [];
    for (const g of workers) {
      const res = await post(agent, '/api/v1/auth/login', null, { username: `gw.${g.code}`, password: 'Grid141!demo' });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.body}`);
      tokens.push(JSON.parse(res.body).accessToken);
    }
    const submit = async (i: number) => {
      const w = i % workers.length;
      const g = workers[w]!;
      const res = await post(agent, '/api/v1/events', tokens[w]!, { id: uuidv7(), categoryCode: '0901', description: `基准测试上报 ${i}`,
        location: { lng: g.lng, lat: g.lat }, address: '测试地址' });
      if (res.status !== 201) throw new Error(`report: ${res.status} ${res.body}`);
    };
    await closedLoop(CONCURRENCY, 3, submit); // warm-up
    apiRun = await closedLoop(CONCURRENCY, SECONDS, submit);
  } finally {
    await agent.close();
    api.kill('SIGTERM');
  }

  // Baseline: the same durable rows with plain pg, one transaction each (locate + event + timeline + outbox).
  const [{ id: centreUser }] = (await pool.query(`SELECT id FROM users WHERE username = $1`, [`gw.${grids[0]!.code}`])).rows;
  const baseline = async (i: number) => {
    const g = grids[i % grids.length]!;
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const loc = await c.query(`SELECT g.code, g.parent_code AS village, left(g.code, 9) AS township FROM regions g
        WHERE g.level = 'grid' AND ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) LIMIT 1`, [g.lng, g.lat]);
      const r = loc.rows[0];
      const id = uuidv7();
      await c.query(`INSERT INTO events (id, code, category_code, description, address, urgency, source, location, region_code, grid_code, village_code,
          township_code, county_code, status, level, owner_unit_code, centre_unit_code, involved_unit_codes, reporter_id)
        VALUES ($1, '330523' || to_char(now(), 'YYYYMMDD') || lpad((nextval('event_code_seq') % 100000)::text, 5, '0'), '0901', $2, '测试地址',
          'normal', 'grid', ST_SetSRID(ST_MakePoint($3, $4), 4326), $5, $5, $6, $7, '330523', 'reported', 'township', $8::text, $8::text, ARRAY[$8::text], $9)`,
        [id, `基准 ${i}`, g.lng, g.lat, r.code, r.village, r.township, `${r.township}-ZH`, centreUser]);
      await c.query(`INSERT INTO event_actions (event_id, type, to_status, to_level, actor_id, actor_role, at) VALUES ($1, 'report', 'reported', 'township', $2, 'grid_worker', now())`, [id, centreUser]);
      await c.query(`INSERT INTO outbox (topic, aggregate_id, payload) VALUES ('event.changed', $1, $2)`, [id, JSON.stringify({ eventId: id })]);
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK');
      throw e;
    } finally {
      c.release();
    }
  };
  await closedLoop(CONCURRENCY, 3, baseline);
  const baseRun = await closedLoop(CONCURRENCY, SECONDS, baseline);

  const fig = (r: { latencies: number[]; errors: number; elapsedMs: number }) => ({
    perSecond: Math.round(r.latencies.length / (r.elapsedMs / 1000)),
    p50Ms: Number(percentile(r.latencies, 50).toFixed(1)),
    p99Ms: Number(percentile(r.latencies, 99).toFixed(1)),
    errors: r.errors,
    count: r.latencies.length,
  });
  const a = fig(apiRun!);
  const b = fig(baseRun);
  const counts = (await pool.query(`SELECT (SELECT count(*) FROM events)::int e, (SELECT count(*) FROM event_actions)::int a, (SELECT count(*) FROM outbox)::int o`)).rows[0];
  console.log(`\ningest: ${SECONDS} s closed loop, ${CONCURRENCY} concurrent clients, ${grids.length} grids; rows now: events ${counts.e}, timeline ${counts.a}, outbox ${counts.o}\n`);
  table([
    { path: 'API (HTTP, JWT, validation, domain, 1 tx)', ...a },
    { path: 'baseline (plain pg, 1 tx each)', ...b },
  ]);
  const ratio = Number((a.perSecond / b.perSecond).toFixed(2));
  console.log(`\nAPI / baseline = ${ratio}; targets: >= 600/s, p99 <= 200 ms, ratio >= 0.5`);
  console.log(JSON.stringify({ bench: 'ingest', perSecond: a.perSecond, p50Ms: a.p50Ms, p99Ms: a.p99Ms, errors: a.errors,
    baselinePerSecond: b.perSecond, baselineP50Ms: b.p50Ms, baselineP99Ms: b.p99Ms, ratio, concurrency: CONCURRENCY, seconds: SECONDS }));
} finally {
  await pool.end();
  await db.drop();
}
