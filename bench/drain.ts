import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { benchDatabase, freePort, inTransaction, startProcess, table } from './support.js';

/**
 * `npm run bench -- drain` (issue 10, outcome 5): the provincial gateway is down while escalated events accumulate; then it
 * comes back failing 30 % of calls, and the worker's relay drains the backlog. Reports the drain rate (messages/s from the
 * gateway's return to the last delivery), the time to empty, and checks the effect at the sandbox: every message applied
 * once, none out of order per event.
 *
 * The backlog: DRAIN_EVENTS escalated events (default 4,000) with their county-level changes (上报到县, 派遣, 签收, 反馈, 核查:
 * 5 province reports, and for the department's handler (bound to a 浙政钉 account) 1 work notice, 1 to-do opened on
 * dispatch and finished when the case leaves the department with 反馈: 32,000 messages by default) written during an outage of DRAIN_OUTAGE_S
 * seconds (default 60: a 10-minute outage scaled down to keep the run short; the backlog, not the wall time, is what the
 * drain sees — the relay keeps retrying during the outage and its round backoff is capped at 30 s). 4,000 escalated events
 * in 10 minutes is far above a county's typhoon day (thousands of events, few escalated): a province-wide rate.
 * The timeline rows are written with SQL (what the API would write for these steps), the relay reads them like any other.
 * Target: ≥ 200 messages/s.
 */
const EVENTS = Number(process.env.DRAIN_EVENTS ?? 4000);
const OUTAGE_S = Number(process.env.DRAIN_OUTAGE_S ?? 60);
const FAIL_RATE = Number(process.env.DRAIN_FAIL_RATE ?? 0.3);
const LATENCY_MS = Number(process.env.DRAIN_LATENCY_MS ?? 20);
const STEPS = [['escalate', 'accepted'], ['dispatch', 'dispatched'], ['sign', 'handling'], ['feedback', 'handled'], ['verify', 'closed']] as const;
/** The province reports, and the department handler's work notice, to-do and its finish. */
const MESSAGES_PER_EVENT = STEPS.length + 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function main(): Promise<void> {
  const db = await benchDatabase('drain');
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  const secret = () => randomBytes(24).toString('base64url');
  const keys = { zwdd: { ak: `zwdd_${randomBytes(4).toString('hex')}`, sk: secret() }, irs: { ak: `BCDSGA_${randomBytes(8).toString('hex')}`, sk: `BCDSGS_${secret()}` } };
  const sandboxPort = await freePort();
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const sandbox = await startProcess('dist/apps/province-sandbox/src/main.js', {
    SANDBOX_PORT: String(sandboxPort), SANDBOX_ZWDD_KEYS: `${keys.zwdd.ak}:${keys.zwdd.sk}`, SANDBOX_IRS_KEYS: `${keys.irs.ak}:${keys.irs.sk}`,
  }, `${sandboxUrl}/_sandbox/health`);
  const sandboxCall = async (method: string, path: string, body?: unknown) =>
    (await fetch(`${sandboxUrl}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } })).json() as Promise<any>;
  const workerPort = await freePort();
  let worker: ChildProcess | undefined;
  try {
    // the gateway is down: every call answered 503 (the relay retries, backs off, keeps the rows pending)
    await sandboxCall('POST', '/_sandbox/faults', { failRate: 1 });
    worker = await startProcess('dist/apps/worker/src/main.js', {
      DATABASE_URL: db.url, REDIS_PREFIX: `bench_drain_${Date.now()}`, JWT_SECRET: secret(), PII_KEY: randomBytes(48).toString('base64url'),
      WORKER_HEALTH_PORT: String(workerPort), LOG_LEVEL: 'error',
      GATEWAY_ZWDD_BASE_URL: sandboxUrl, GATEWAY_ZWDD_ACCESS_KEY: keys.zwdd.ak, GATEWAY_ZWDD_SECRET_KEY: keys.zwdd.sk, GATEWAY_ZWDD_TENANT_ID: '196729',
      GATEWAY_IRS_BASE_URL: sandboxUrl, GATEWAY_IRS_ACCESS_KEY: keys.irs.ak, GATEWAY_IRS_SECRET_KEY: keys.irs.sk,
    }, `http://127.0.0.1:${workerPort}/health/ready`);

    // the department's handler has a 浙政钉 account: a dispatch tells them and opens their to-do (an unbound unit's are skipped)
    await pool.query(`UPDATE users SET zwdd_account_id = 'zwdd-bench-zf' WHERE username = 'h.330523-ZF'`);
    // the backlog, written evenly over the outage, in batches of events (one transaction each, as the API would)
    const grids = (await pool.query(`SELECT code, parent_code AS village, left(code, 9) AS township, ST_X(ST_PointOnSurface(geom)) AS lng,
        ST_Y(ST_PointOnSurface(geom)) AS lat FROM regions WHERE level = 'grid' AND code LIKE '330523%' ORDER BY code LIMIT 50`)).rows;
    const [{ id: actor }] = (await pool.query(`SELECT id FROM users WHERE username = 'county.op'`)).rows;
    const BATCH = 50;
    const batches = Math.ceil(EVENTS / BATCH);
    const outageStart = Date.now();
    for (let b = 0; b < batches; b++) {
      const n = Math.min(BATCH, EVENTS - b * BATCH);
      const ids = Array.from({ length: n }, () => uuidv7());
      await inTransaction(pool, async (c) => {
        await c.query(`INSERT INTO events (id, code, category_code, description, address, urgency, source, location, region_code, grid_code, village_code,
            township_code, county_code, status, level, owner_unit_code, centre_unit_code, involved_unit_codes, reporter_id, version)
          SELECT id, '330523' || to_char(now(), 'YYYYMMDD') || lpad((nextval('event_code_seq') % 100000)::text, 5, '0'), '0901', '积压测试事件', '测试地址',
            'normal', 'grid', ST_SetSRID(ST_MakePoint((g->>'lng')::float8, (g->>'lat')::float8), 4326), g->>'code', g->>'code', g->>'village', g->>'township',
            '330523', 'closed', 'county', '330523-ZF', '330523-ZX', ARRAY['330523-ZF'], $3, $4
            FROM unnest($1::uuid[]) WITH ORDINALITY u(id, i), LATERAL (SELECT ($2::jsonb)->((i - 1)::int % jsonb_array_length($2::jsonb)) AS g) x`,
          [ids, JSON.stringify(grids), actor, STEPS.length + 2]);
        // report + accept below county level, then the county-level steps, in order per event
        await c.query(`INSERT INTO event_actions (event_id, type, from_status, to_status, from_level, to_level, actor_id, actor_role, unit_code, data, at)
          SELECT e, s.type, NULL, s.status, 'township', s.level, $2, 'county_operator', '330523-ZX',
                 CASE WHEN s.type = 'dispatch' THEN '{"unitCode": "330523-ZF", "supportUnitCodes": []}'::jsonb ELSE '{}'::jsonb END, now()
            FROM unnest($1::uuid[]) e, ROWS FROM (jsonb_to_recordset($3::jsonb) AS (type text, status text, level text)) WITH ORDINALITY s(type, status, level, k)
           ORDER BY e, s.k`,
          [ids, actor, JSON.stringify([{ type: 'report', status: 'reported', level: 'township' }, { type: 'accept', status: 'accepted', level: 'township' },
            ...STEPS.map(([type, status]) => ({ type, status, level: 'county' }))])]);
      });
      const due = outageStart + ((b + 1) / batches) * OUTAGE_S * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    const expected = EVENTS * MESSAGES_PER_EVENT;
    // routed during the outage (the router does not need the gateway)
    await waitUntil('the backlog routed', async () => (await pool.query(`SELECT count(*)::int AS n FROM gateway_deliveries`)).rows[0].n >= expected, 120_000);
    const outageS = (Date.now() - outageStart) / 1000;

    // the gateway returns, failing FAIL_RATE of calls with LATENCY_MS added
    await sandboxCall('DELETE', '/_sandbox/received');
    await sandboxCall('POST', '/_sandbox/faults', { failRate: FAIL_RATE, latencyMs: LATENCY_MS });
    const back = Date.now();
    let firstDone = 0;
    const samples: { s: number; done: number }[] = [];
    await waitUntil('the backlog drained', async () => {
      const { done, open } = (await pool.query(`SELECT count(*) FILTER (WHERE state = 'done')::int AS done,
          count(*) FILTER (WHERE state IN ('pending', 'dead'))::int AS open FROM gateway_deliveries`)).rows[0];
      if (!firstDone && done > 0) firstDone = Date.now();
      const s = Math.floor((Date.now() - back) / 10_000);
      if (!samples[s]) samples[s] = { s, done };
      return open === 0;
    }, 30 * 60_000, 500);
    const drainS = (Date.now() - back) / 1000;
    const stats = await sandboxCall('GET', '/_sandbox/stats');
    const reports = stats.kinds['event-report'] ?? { distinct: 0, duplicates: 0, total: 0 };
    const notices = stats.kinds['work-notice'] ?? { distinct: 0, duplicates: 0, total: 0 };
    const todosOpened = stats.kinds['todo-create'] ?? { distinct: 0, duplicates: 0, total: 0 };
    const todosFinished = stats.kinds['todo-finish'] ?? { distinct: 0, duplicates: 0, total: 0 };
    const stillOpen = (await sandboxCall('GET', '/_sandbox/todos?state=open')).items.length as number;
    const redeliveries = reports.duplicates + notices.duplicates + todosOpened.duplicates + todosFinished.duplicates;
    const dead = (await pool.query(`SELECT count(*)::int AS n FROM gateway_deliveries WHERE state <> 'done'`)).rows[0].n;
    const rate = Math.round(expected / drainS);
    const exactlyOnce = reports.distinct === EVENTS * STEPS.length && notices.distinct === EVENTS && todosOpened.distinct === EVENTS
      && todosFinished.distinct === EVENTS && stillOpen === 0 && stats.events.outOfOrder === 0 && dead === 0;

    console.log(`\ndrain: ${EVENTS} escalated events (${expected} messages) written during a ${outageS.toFixed(0)} s outage; gateway back failing ${FAIL_RATE * 100} % with ${LATENCY_MS} ms latency\n`);
    table([
      { measure: 'messages', value: expected },
      { measure: 'time to empty (s)', value: drainS.toFixed(1) },
      { measure: 'drain rate (messages/s)', value: rate },
      { measure: 'first delivery after return (ms)', value: firstDone ? firstDone - back : 'n/a' },
      { measure: 'calls refused (503 injected)', value: stats.faultsInjected.fail },
      { measure: 'redeliveries (same message id)', value: redeliveries },
      { measure: 'event reports applied (distinct)', value: reports.distinct },
      { measure: 'work notices applied (distinct)', value: notices.distinct },
      { measure: 'to-dos opened / finished (distinct)', value: `${todosOpened.distinct} / ${todosFinished.distinct}` },
      { measure: 'to-dos left open at 浙政钉', value: stillOpen },
      { measure: 'out of order (per event)', value: stats.events.outOfOrder },
      { measure: 'not done (dead/pending)', value: dead },
    ]);
    console.log(`\nprogress (done after each 10 s): ${samples.filter(Boolean).map((x) => `${x.s * 10}s:${x.done}`).join(' ')}`);
    console.log(`target: >= 200 messages/s; exactly once and in order: ${exactlyOnce ? 'yes' : 'NO'}`);
    console.log(JSON.stringify({ bench: 'drain', events: EVENTS, messages: expected, outageS: Math.round(outageS), failRate: FAIL_RATE, latencyMs: LATENCY_MS,
      drainSeconds: Number(drainS.toFixed(1)), messagesPerSecond: rate, redeliveries, todosOpened: todosOpened.distinct, todosFinished: todosFinished.distinct, todosLeftOpen: stillOpen,
      outOfOrder: stats.events.outOfOrder, notDone: dead, exactlyOnce }));
    if (!exactlyOnce) process.exitCode = 1;
  } finally {
    worker?.kill('SIGTERM');
    sandbox.kill('SIGTERM');
    await pool.end();
    await db.drop();
  }
}

await main();
