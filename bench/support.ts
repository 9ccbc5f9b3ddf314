import net from 'node:net';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createDataSource, PiiCipher, seedDemo } from '#core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DATA_DIR = path.join(ROOT, 'data');
const ADMIN_URL = process.env.GRID141_BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const dbUrl = (name: string) => ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);

/** A fresh, migrated and demo-seeded database for one benchmark run. */
export async function benchDatabase(label: string): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `grid141_bench_${label}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const ds = await createDataSource({ DATABASE_URL: dbUrl(name), DB_POOL_SIZE: 2 }).initialize();
  await ds.runMigrations({ transaction: 'each' });
  // the demo accounts' phone and ID numbers are encrypted: with a key of their own (no bench reads them back)
  await ds.transaction((m) => seedDemo(m, DATA_DIR, '330523', { pii: new PiiCipher(randomBytes(48).toString('base64url')) }));
  await ds.destroy();
  return {
    name, url: dbUrl(name),
    drop: async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Runs `fn` on one client of `pool` in a transaction: committed when it returns, rolled back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const result = await fn(c);
    await c.query('COMMIT');
    return result;
  } catch (e) {
    await c.query('ROLLBACK');
    throw e;
  } finally {
    c.release();
  }
}

/** Starts a built app (dist) as a child process and waits until it answers on its health endpoint. */
export async function startProcess(script: string, env: Record<string, string>, healthUrl?: string): Promise<ChildProcess> {
  const nodeArgs = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, script)], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
  if (healthUrl) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try { if ((await fetch(healthUrl)).ok) break; } catch { /* not up yet */ }
      if (Date.now() > deadline) { child.kill(); throw new Error(`${script} did not become ready`); }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return child;
}

/** A port free right now on the loopback interface. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Prints rows as an aligned table. */
export function table(rows: Record<string, string | number>[]): void {
  const cols = Object.keys(rows[0] ?? {});
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i]!)).join('  ');
  console.log(line(cols));
  console.log(width.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(cols.map((c) => String(r[c]))));
}

/** Runs `worker` with `concurrency` loops for `seconds`; returns per-call latencies (ms) and the count. */
export async function closedLoop(concurrency: number, seconds: number, worker: (i: number) => Promise<void>): Promise<{ latencies: number[]; errors: number; elapsedMs: number }> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let firstError: unknown;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const i = next++;
      const t0 = performance.now();
      try { await worker(i); latencies.push(performance.now() - t0); } catch (e) { errors++; firstError ??= e; }
    }
  }));
  if (firstError) console.error('first error:', firstError);
  return { latencies: latencies.sort((a, b) => a - b), errors, elapsedMs: performance.now() - start };
}

/**
 * The map benchmarks' events (bench/map, bench/web-county): `events` reports spread over every grid of `county`, each
 * filed by the grid's demo worker, in one set-based INSERT with the map trigger off (the aggregates are built after by
 * the caller with the migration's backfill). 10 % open, created in the last 60 days; the rest closed (90 %), rejected
 * or merged over two years; categories skewed (squared uniform over the active ones); 8 % of open events red, 12 %
 * yellow. Codes are `<county><codeLetter><10 digits>`. Leaves the trigger off.
 */
export async function insertMapEvents(pool: pg.Pool, county: string, events: number, codeLetter: string): Promise<void> {
  const grids = (await pool.query(`SELECT count(*)::int AS n FROM regions WHERE level = 'grid' AND code LIKE $1 || '%'`, [county])).rows[0].n as number;
  await pool.query(`ALTER TABLE events DISABLE TRIGGER events_map_count, DISABLE TRIGGER events_report_rollup`);
  await pool.query(
    `WITH cats AS (SELECT array_agg(code ORDER BY code) AS a, count(*)::int AS n FROM categories WHERE is_event AND active),
          gw AS (SELECT g.code, g.parent_code, g.geom, u.id AS reporter FROM regions g JOIN users u ON u.username = 'gw.' || g.code
                  WHERE g.level = 'grid' AND g.code LIKE $1 || '%'),
          p AS (SELECT gw.code, gw.parent_code, gw.reporter, (ST_Dump(ST_GeneratePoints(gw.geom, ceil($2::float8 / $3)::int, 141))).geom AS p FROM gw)
     INSERT INTO events (id, code, category_code, description, urgency, source, location, region_code, grid_code, village_code, township_code,
       county_code, status, level, warning, owner_unit_code, centre_unit_code, involved_unit_codes, reporter_id, created_at, updated_at)
     SELECT gen_random_uuid(), $1 || $4 || lpad((row_number() OVER ())::text, 10, '0'), cats.a[1 + floor(power(r.c, 2) * cats.n)::int], '基准事件',
       'normal', 'grid', p.p, p.code, p.code, p.parent_code, left(p.code, 9), $1, s.status, 'township', s.warning,
       left(p.code, 9) || '-ZH', left(p.code, 9) || '-ZH', ARRAY[left(p.code, 9) || '-ZH'], p.reporter, s.at, s.at
       FROM p CROSS JOIN cats
       , LATERAL (SELECT random() AS o, random() AS s, random() AS w, random() AS d, random() AS c, p.p AS dep) r
       , LATERAL (SELECT CASE WHEN r.o < 0.1 THEN (ARRAY['reported','accepted','dispatched','handling','handled','suspended'])[1 + floor(r.s * 6)::int]
                              WHEN r.s < 0.9 THEN 'closed' WHEN r.s < 0.95 THEN 'rejected' ELSE 'merged' END AS status,
                         CASE WHEN r.o < 0.1 AND r.w < 0.08 THEN 'red' WHEN r.o < 0.1 AND r.w < 0.2 THEN 'yellow' ELSE 'none' END AS warning,
                         now() - CASE WHEN r.o < 0.1 THEN 60 ELSE 730 END * r.d * interval '1 day' AS at) s
      LIMIT $2`, [county, events, grids, codeLetter]);
}
