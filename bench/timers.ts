/**
 * SLA timers benchmark: 100,000 outstanding deadlines held as delayed BullMQ jobs by a real worker process.
 * Reports the firing lag of marks that fall due during the run (mark → the warning transition committed), the
 * worker's memory, Redis memory, and how long the sweeper takes to rebuild every job from PostgreSQL after the
 * Redis state is flushed.
 *   npm run bench -- timers     (TIMERS_TOTAL, TIMERS_DUE, TIMERS_WINDOW_S to change the load)
 */
import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { QueueName, slaJobId } from '#core';
import { benchDatabase, percentile, startProcess, table } from './support.js';

const TOTAL = Number(process.env.TIMERS_TOTAL ?? 100_000);
const DUE = Number(process.env.TIMERS_DUE ?? 5_000);
const WINDOW_S = Number(process.env.TIMERS_WINDOW_S ?? 30);
const SWEEP_MS = 2000;
const PREFIX = `bench_timers_${Date.now()}`;

const rssMb = (pid: number) => {
  try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024; } catch { return 0; }
};
async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!(await probe())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - start;
}

const db = await benchDatabase('timers');
const pool = new pg.Pool({ connectionString: db.url, max: 4 });
pool.on('error', () => undefined);
const redis = new Redis('redis://127.0.0.1:6379');
const queue = new Queue(QueueName.Sla, { connection: redis, prefix: PREFIX });
/**
 * `count` open, unaccepted events spread over the county's grids, whose next mark (yellow) is at
 * `firstMs + (i - 1) * stepMs`; codes `330523<tag><seq>`. Returns their ids and marks.
 */
async function insertOpenEvents(tag: string, count: number, firstMs: number, stepMs: number): Promise<{ rows: { id: string; at: Date }[] }> {
  return pool.query<{ id: string; at: Date }>(`
    WITH grids AS (SELECT array_agg(code ORDER BY code) AS codes FROM regions WHERE level = 'grid' AND code LIKE '330523%')
    INSERT INTO events (id, code, category_code, description, urgency, source, location, region_code, grid_code, village_code, township_code,
        county_code, status, level, owner_unit_code, centre_unit_code, involved_unit_codes, stage, stage_started_at, stage_yellow_at,
        stage_due_at, stage_escalate_at, sla_basis, sla_next_at)
    SELECT gen_random_uuid(), '330523' || $4 || lpad(i::text, 9, '0'), '0901', 'timer bench', 'normal', 'grid', ST_PointOnSurface(r.geom), g, g,
        left(g, 12), left(g, 9), '330523', 'reported', 'township', left(g, 9) || '-ZH', left(g, 9) || '-ZH', ARRAY[left(g, 9) || '-ZH'],
        'accept', now(), y, y + interval '1 hour', y + interval '2 hours', 'natural', y
      FROM generate_series(1, $1::int) i, grids,
           LATERAL (SELECT codes[1 + i % array_length(codes, 1)] AS g, to_timestamp(($2::float8 + (i - 1) * $3::float8) / 1000) AS y) pick
      JOIN regions r ON r.code = pick.g
    RETURNING id, sla_next_at AS at`, [count, firstMs, stepMs, tag]);
}

const pending = async () => { const c = await queue.getJobCounts('delayed', 'waiting', 'active', 'prioritized'); return Object.values(c).reduce((a, b) => a + b, 0); };
try {
  // 100k open events whose next mark (yellow) lies 1 h to about 30 days ahead: outstanding deadlines
  const far = TOTAL - DUE;
  await insertOpenEvents('B', far, Date.now() + 3600_000, 25_900);

  // worst case: a horizon beyond every mark, so all 100k deadlines are delayed jobs in Redis at once
  const worker = await startProcess('dist/apps/worker/src/main.js', { DATABASE_URL: db.url, REDIS_PREFIX: PREFIX, SLA_SWEEP_MS: String(SWEEP_MS),
    SLA_HORIZON_MS: String(40 * 86400_000), LOG_LEVEL: 'warn' });
  let maxRss = 0;
  const sampler = setInterval(() => { maxRss = Math.max(maxRss, rssMb(worker.pid!)); }, 200);
  try {
    const firstRebuildMs = await until('initial rebuild', async () => (await pending()) >= far, 300_000);

    // DUE events falling due (yellow) evenly over the window, scheduled the way the API schedules them
    const windowStart = Date.now() + 5000;
    const due = await insertOpenEvents('D', DUE, windowStart, (WINDOW_S * 1000) / DUE);
    for (let i = 0; i < due.rows.length; i += 1000) {
      const now = Date.now();
      await queue.addBulk(due.rows.slice(i, i + 1000).map((r) => ({ name: 'check', data: { eventId: r.id, at: r.at.getTime() },
        opts: { jobId: slaJobId(r.id, r.at), timestamp: now, delay: Math.max(0, r.at.getTime() - now), removeOnComplete: true } })));
    }
    const outstanding = await pending();
    const redisMb = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0) / 1048576;
    await until('all due marks fired', async () => {
      const r = await pool.query(`SELECT count(*)::int AS n FROM event_actions WHERE type = 'warn' AND actor_role = 'system'`);
      return r.rows[0].n >= DUE;
    }, (WINDOW_S + 120) * 1000);
    const lags = (await pool.query<{ lag: number }>(`
      SELECT extract(epoch FROM (a.at - e.stage_yellow_at)) * 1000 AS lag FROM event_actions a JOIN events e ON e.id = a.event_id
       WHERE a.type = 'warn' AND a.actor_role = 'system'`)).rows.map((r) => Number(r.lag)).sort((a, b) => a - b);
    // commit time is what users see: measure how late the committed row is against the mark, using the DB clock too
    const commitLag = (await pool.query<{ p99: number }>(`
      SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM (e.updated_at - e.stage_yellow_at)) * 1000) AS p99
        FROM events e WHERE e.code LIKE '330523D%'`)).rows[0]!.p99;

    // flush this benchmark's Redis state and time the sweeper's rebuild from PostgreSQL
    const before = await pending();
    const keys: string[] = [];
    let cursor = '0';
    do { const [next, batch] = await redis.scan(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 5000); cursor = next; keys.push(...batch); } while (cursor !== '0');
    for (let i = 0; i < keys.length; i += 5000) await redis.del(...keys.slice(i, i + 5000));
    const flushedAt = Date.now();
    const restoredMs = await until('rebuild after flush', async () => (await pending()) >= before, 300_000);
    const rebuildOnlyMs = Math.max(0, restoredMs - SWEEP_MS);
    const stats = {
      outstanding, dueInWindow: DUE, windowS: WINDOW_S,
      lagP50Ms: Number(percentile(lags, 50).toFixed(1)), lagP99Ms: Number(percentile(lags, 99).toFixed(1)), lagMaxMs: Number((lags[lags.length - 1] ?? NaN).toFixed(1)),
      commitLagP99Ms: Number(Number(commitLag).toFixed(1)),
      workerRssMb: Number(maxRss.toFixed(1)), redisUsedMb: Number(redisMb.toFixed(1)),
      firstRebuildMs, restoredAfterFlushMs: restoredMs, sweepPeriodMs: SWEEP_MS, flushedAt,
    };
    console.log(`\ntimers: ${outstanding} outstanding deadlines (delayed jobs), ${DUE} falling due over ${WINDOW_S} s, sweeper every ${SWEEP_MS} ms\n`);
    table([
      { figure: 'firing lag p50 (mark → transition time)', value: `${stats.lagP50Ms} ms` },
      { figure: 'firing lag p99', value: `${stats.lagP99Ms} ms` },
      { figure: 'firing lag max', value: `${stats.lagMaxMs} ms` },
      { figure: 'commit lag p99 (mark → row committed)', value: `${stats.commitLagP99Ms} ms` },
      { figure: 'worker RSS (max)', value: `${stats.workerRssMb} MiB` },
      { figure: 'Redis used memory with all jobs', value: `${stats.redisUsedMb} MiB` },
      { figure: `initial rebuild of ${far} jobs (cold start)`, value: `${firstRebuildMs} ms` },
      { figure: `restored after flush (≤ ${SWEEP_MS} ms detection + rebuild)`, value: `${restoredMs} ms` },
    ]);
    console.log(`\ntarget: firing lag p99 <= 1000 ms`);
    console.log(JSON.stringify({ bench: 'timers', ...stats, rebuildOnlyMs, flushedAt: undefined }));
  } finally {
    clearInterval(sampler);
    worker.kill('SIGTERM');
  }
} finally {
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  await redis.quit();
  await pool.end();
  await db.drop();
}
