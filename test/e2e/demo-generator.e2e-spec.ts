import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { DbService, EventsService, loadConfig } from '#core';
import { composeReport, DemoRandom, fateOf, nextMove } from '../../libs/core/src/demo/index.js';
import type { DemoPlace } from '../../libs/core/src/demo/index.js';
import { DemoGenerator } from '../../apps/worker/src/demo/demo-generator.js';
import { DemoLoop } from '../../apps/worker/src/demo/demo.loop.js';
import { DataSource } from 'typeorm';
import { purgeDemoEvents } from '../../libs/core/src/demo/demo-purge.js';
import { newId, pointIn, startApi, waitFor } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

// The living demo (issue 7): the generator files realistic, demo-marked reports across the county and moves them through
// the workflow as the demo users would. The simulated day is driven step by step on a fake clock (no waiting on time).
let api: ApiHarness;
const COUNTY = '330523';

beforeAll(async () => { api = await startApi('demo_generator'); });
afterAll(async () => { delete process.env.DEMO_GENERATOR; delete process.env.DEMO_SEED; await api?.close(); });

async function withWorker(env: Record<string, string | undefined>, fn: (w: INestApplicationContext) => Promise<void>): Promise<void> {
  for (const [k, v] of Object.entries(env)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  const { createWorker } = await import('../../apps/worker/src/worker.factory.js');
  const worker = await createWorker({ logger: ['error'] });
  try { await fn(worker); } finally { await worker.close(); }
}
const count = async (where = 'true') => (await api.db.query(`SELECT count(*)::int AS n FROM events WHERE ${where}`)).rows[0].n as number;

describe('switch', () => {
  it('is off unless configured: a worker without DEMO_GENERATOR starts nothing', async () => {
    expect(loadConfig({}).DEMO_GENERATOR).toBe('off');
    expect(() => loadConfig({ DEMO_GENERATOR: 'yes' })).toThrow(/DEMO_GENERATOR/);
    await withWorker({ DEMO_GENERATOR: undefined }, async (w) => {
      expect(w.get(DemoLoop).active).toBe(false);
    });
    await withWorker({ DEMO_GENERATOR: 'off' }, async (w) => {
      expect(w.get(DemoLoop).active).toBe(false);
    });
    expect(await count()).toBe(0);
  });

  it('on: an empty county gets a backlog of a few dozen demo reports at once, and shutdown stops it', async () => {
    let loop: DemoLoop | undefined;
    await withWorker({ DEMO_GENERATOR: 'on', DEMO_SEED: '7' }, async (w) => {
      loop = w.get(DemoLoop);
      expect(w.get(DemoLoop).active).toBe(true);
      await waitFor('the backlog', async () => (await count('demo')) >= 30, 12_000);
    });
    expect(loop!.active).toBe(false);
    expect(await count('NOT demo')).toBe(0);
    // the backlog's timelines lie in the past and read forward, with the SLA engine's cards after the replayed history
    const back = await api.db.query(`SELECT count(*)::int AS n FROM (SELECT at < lag(at) OVER (PARTITION BY event_id ORDER BY id) AS back
      FROM event_actions) x WHERE back`);
    expect(back.rows[0].n).toBe(0);
    const past = await api.db.query(`SELECT count(*)::int AS n FROM events WHERE demo AND created_at < now() - interval '30 minutes'`);
    expect(past.rows[0].n).toBeGreaterThan(0);
  });
});

describe('a simulated working day', () => {
  // Tuesday 2026-11-24, 07:00–15:00 Asia/Shanghai, in 5-minute steps
  const START = new Date('2026-11-23T23:00:00Z');
  const END = new Date('2026-11-24T07:00:00Z');
  const SEED = 20261124;
  let ids: string[] = [];
  let acted = 0;

  beforeAll(async () => {
    const generator = new DemoGenerator(api.app.get(EventsService), api.app.get(DbService), { countyCode: COUNTY, seed: SEED, reportsPerHour: 12 });
    await generator.init(START);
    for (let t = START.getTime(); t <= END.getTime(); t += 5 * 60_000) {
      const r = await generator.step(new Date(t));
      ids.push(...r.reported);
      acted += r.acted;
    }
    ids = [...new Set(ids)];
  });

  it('files reports across several townships and categories, all demo, all inside the county\'s grids', async () => {
    expect(ids.length).toBeGreaterThanOrEqual(40);
    const r = await api.db.query(
      `SELECT count(*)::int AS n, count(DISTINCT e.township_code)::int AS townships, count(DISTINCT e.category_code)::int AS categories,
              count(*) FILTER (WHERE e.demo)::int AS demo,
              count(*) FILTER (WHERE g.code LIKE $2 || '%' AND ST_Intersects(g.geom, e.location))::int AS inside,
              count(*) FILTER (WHERE e.description ~ '[一-龥]' AND e.address ~ '[一-龥]')::int AS chinese,
              count(*) FILTER (WHERE e.created_at BETWEEN $3 AND $4)::int AS in_window
         FROM events e JOIN regions g ON g.code = e.grid_code WHERE e.id = ANY($1::uuid[])`, [ids, COUNTY, START, END]);
    const s = r.rows[0];
    expect(s.n).toBe(ids.length);
    expect(s.townships).toBeGreaterThanOrEqual(8);
    expect(s.categories).toBeGreaterThanOrEqual(10);
    expect(s.demo).toBe(ids.length);
    expect(s.inside).toBe(ids.length);
    expect(s.chinese).toBe(ids.length);
    expect(s.in_window).toBe(ids.length);
    expect(await count('NOT demo')).toBe(0);
  });

  it('moves a share through the workflow: accepted, dispatched, handled, closed and rated; some returned, reworked, rejected or merged; some left overdue', async () => {
    expect(acted).toBeGreaterThan(ids.length);
    const r = await api.db.query(
      `SELECT count(*) FILTER (WHERE status = 'closed')::int AS closed, count(*) FILTER (WHERE rating IS NOT NULL)::int AS rated,
              count(*) FILTER (WHERE status IN ('rejected', 'merged'))::int AS dropped, count(*) FILTER (WHERE return_count > 0)::int AS returned,
              count(*) FILTER (WHERE status IN ('dispatched', 'handling', 'handled'))::int AS in_hand,
              count(*) FILTER (WHERE status IN ('reported', 'accepted', 'dispatched', 'handling', 'handled') AND stage_due_at < $2)::int AS overdue,
              count(*) FILTER (WHERE level = 'county')::int AS county, count(*) FILTER (WHERE resolved_on_site)::int AS on_site
         FROM events WHERE id = ANY($1::uuid[])`, [ids, END]);
    const s = r.rows[0];
    expect(s.closed).toBeGreaterThan(0);
    expect(s.rated).toBeGreaterThan(0);
    expect(s.dropped).toBeGreaterThan(0);
    expect(s.returned).toBeGreaterThan(0);
    expect(s.in_hand).toBeGreaterThan(0);
    expect(s.overdue).toBeGreaterThan(0); // what the SLA engine turns yellow and red
    expect(s.county).toBeGreaterThan(0);
    expect(s.on_site).toBeGreaterThan(0);
    const types = (await api.db.query(`SELECT DISTINCT type FROM event_actions WHERE event_id = ANY($1::uuid[])`, [ids])).rows.map((x) => x.type);
    for (const t of ['report', 'accept', 'dispatch', 'sign', 'feedback', 'verify', 'rate']) expect(types).toContain(t);
  });

  it('every timeline is valid: starts with the report, each row continues the last, time never runs back, actors are the right demo users', async () => {
    const rows = (await api.db.query(
      `SELECT a.event_id AS id, a.type, a.from_status AS "from", a.to_status AS "to", a.at, a.actor_role AS role, u.role AS "userRole",
              a.unit_code AS unit, e.status AS final
         FROM event_actions a JOIN events e ON e.id = a.event_id LEFT JOIN users u ON u.id = a.actor_id
        WHERE a.event_id = ANY($1::uuid[]) ORDER BY a.event_id, a.id`, [ids])).rows;
    const byEvent = new Map<string, typeof rows>();
    for (const row of rows) byEvent.set(row.id, [...(byEvent.get(row.id) ?? []), row]);
    expect(byEvent.size).toBe(ids.length);
    for (const [, timeline] of byEvent) {
      expect(timeline[0].type).toBe('report');
      expect(timeline[0].from).toBeNull();
      for (let i = 1; i < timeline.length; i++) {
        expect(timeline[i].from).toBe(timeline[i - 1].to);
        expect(timeline[i].at.getTime()).toBeGreaterThanOrEqual(timeline[i - 1].at.getTime());
      }
      expect(timeline[timeline.length - 1].to).toBe(timeline[0].final);
      for (const a of timeline) {
        expect(a.userRole).toBe(a.role); // a real user, acting in their own role
        if (['sign', 'feedback', 'return'].includes(a.type)) expect(a.role).toBe('handler');
        if (['accept', 'dispatch', 'verify', 'reject', 'merge', 'escalate'].includes(a.type)) expect(['township_dispatcher', 'county_operator']).toContain(a.role);
      }
    }
  });

  it('is deterministic under a seed', () => {
    const places: DemoPlace[] = [
      { gridCode: '330523001002001', townshipName: '递铺街道', villageName: '苕秀社区居委会', points: [{ lng: 119.68, lat: 30.63 }, { lng: 119.69, lat: 30.64 }] },
      { gridCode: '330523105200001', townshipName: '孝丰镇', villageName: '横溪坞村委会', points: [{ lng: 119.55, lat: 30.55 }] },
    ];
    const run = (seed: number) => { const rng = new DemoRandom(seed); return Array.from({ length: 20 }, () => composeReport(rng, places)); };
    expect(run(SEED)).toEqual(run(SEED));
    expect(run(SEED)).not.toEqual(run(SEED + 1));
    const state = { id: ids[0]!, status: 'reported' as const, level: 'township' as const, categoryCode: '0901', urgent: false, returnCount: 0,
      reworkCount: 0, rating: null, resolvedOnSite: false, since: START };
    expect(nextMove(SEED, state, fateOf(SEED, state.id, '0901'))).toEqual(nextMove(SEED, state, fateOf(SEED, state.id, '0901')));
  });
});

describe('demo-purge', () => {
  it('deletes the demo events with their timelines and outbox rows, and leaves a real event alone', async () => {
    const gw = await api.as('gw.330523001002001');
    const real = await gw.post('/events', { id: newId(), categoryCode: '0901', description: '真实上报：垃圾未清运', location: await pointIn(api.db, '330523001002001') });
    expect(real.status).toBe(201);
    expect(await count('demo')).toBeGreaterThan(0);
    const result = await api.app.get(DataSource).transaction((m) => purgeDemoEvents(m));
    expect(result.events).toBeGreaterThan(0);
    expect(result.references.event_actions).toBeGreaterThan(result.events);
    expect(await count('demo')).toBe(0);
    expect(await count()).toBe(1);
    const left = await api.db.query(`SELECT (SELECT count(*)::int FROM event_actions WHERE event_id NOT IN (SELECT id FROM events)) AS actions,
      (SELECT count(*)::int FROM outbox WHERE aggregate_id NOT IN (SELECT id FROM events)) AS outbox,
      (SELECT count(*)::int FROM event_actions WHERE event_id = $1) AS real_actions`, [real.body.id]);
    expect(left.rows[0]).toEqual({ actions: 0, outbox: 0, real_actions: 1 });
  });
});
