import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { Redis } from 'ioredis';
import { newId, pointIn, startApi, waitFor } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

// Issue 4: time limits that enforce themselves. Second-scale rules (natural time for urgent events) make the clock
// observable; every wait is a condition with a deadline.
const SWEEP_MS = 1000;
const GRID = '330523001002001';
const TW = 'tw.330523001';
const JG = '330523001-JG';
const LIMIT_S = 3;      // every stage: 3 s
const GRACE_S = 1.5;    // escalate 1.5 s after the accept/sign stage is overdue
const SLACK_MS = 2500;  // scheduling and processing allowance on a loaded 2-core machine

let api: ApiHarness;
let redis: Redis;
const workers: INestApplicationContext[] = [];

async function startWorker(): Promise<INestApplicationContext> {
  const { createWorker } = await import('../../apps/worker/src/worker.factory.js');
  const w = await createWorker({ logger: ['error'] });
  workers.push(w);
  return w;
}
async function stopWorker(w: INestApplicationContext): Promise<void> {
  await w.close();
  workers.splice(workers.indexOf(w), 1);
}

beforeAll(async () => {
  api = await startApi('sla', { SLA_SWEEP_MS: String(SWEEP_MS) });
  redis = new Redis('redis://127.0.0.1:6379');
  const admin = await api.token('admin');
  const res = await api.http().put('/api/v1/admin/sla-rules').set('Authorization', `Bearer ${admin}`).send({
    categoryCode: null, urgency: 'urgent', basis: 'natural', acceptMinutes: LIMIT_S / 60, signMinutes: LIMIT_S / 60,
    handleMinutes: LIMIT_S / 60, verifyMinutes: LIMIT_S / 60, yellowRatio: 0.5, escalateGraceMinutes: GRACE_S / 60,
  });
  expect(res.status).toBe(200);
});
afterEach(async () => { for (const w of [...workers]) await stopWorker(w); });
afterAll(async () => { await redis?.quit(); await api?.close(); });

const as = (username: string) => api.as(username);
async function reportUrgent(): Promise<{ id: string; createdAt: string; stageYellowAt: string; stageDueAt: string; stageEscalateAt: string; slaNextAt: string }> {
  const res = await (await as(`gw.${GRID}`)).post('/events', { id: newId(), categoryCode: '0505', description: '楼道电动车起火隐患',
    location: await pointIn(api.db, GRID), urgency: 'urgent' });
  expect(res.status).toBe(201);
  return res.body;
}
async function act(user: string, id: string, body: Record<string, unknown>) {
  const res = await (await as(user)).post(`/events/${id}/actions`, body);
  if (res.status !== 201) throw new Error(`${body.type}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
interface Row { type: string; at: Date; data: Record<string, unknown>; actor_role: string; from_level: string; to_level: string }
async function systemRows(id: string): Promise<Row[]> {
  return (await api.db.query(`SELECT type, at, data, actor_role, from_level, to_level FROM event_actions WHERE event_id = $1 AND actor_role = 'system' ORDER BY id`, [id])).rows;
}
async function event(id: string) {
  return (await api.db.query(`SELECT status, level, warning, stage, stage_due_at, stage_yellow_at, stage_escalate_at, stage_paused_at, sla_next_at, urge_count
    FROM events WHERE id = $1`, [id])).rows[0];
}
async function escalated(id: string) {
  return (await event(id)).level === 'county';
}
/** Exactly one yellow, one red, one automatic 催办 and one escalation at township level, each not before its mark. */
async function expectEscalatedOnce(ev: { id: string; stageYellowAt: string; stageDueAt: string; stageEscalateAt: string }, lateBy: number) {
  const rows = (await systemRows(ev.id)).filter((r) => r.from_level === 'township');
  expect(rows.map((r) => r.type === 'warn' ? `warn:${r.data.warning}` : r.type)).toEqual(['warn:yellow', 'warn:red', 'urge', 'escalate']);
  const [yellow, red, urge, esc] = rows as [Row, Row, Row, Row];
  expect(yellow.at.getTime()).toBeGreaterThanOrEqual(Date.parse(ev.stageYellowAt));
  expect(red.at.getTime()).toBeGreaterThanOrEqual(Date.parse(ev.stageDueAt));
  expect(urge.at.getTime()).toBeGreaterThanOrEqual(Date.parse(ev.stageDueAt));
  expect(esc.at.getTime()).toBeGreaterThanOrEqual(Date.parse(ev.stageEscalateAt));
  expect(esc.at.getTime()).toBeLessThanOrEqual(Date.parse(ev.stageEscalateAt) + lateBy);
  expect(esc.to_level).toBe('county');
}

describe('SLA clock end to end', () => {
  it('an unaccepted event goes yellow, red, gets a 催办 and escalates to the county on time', async () => {
    await startWorker();
    const ev = await reportUrgent();
    const created = Date.parse(ev.createdAt);
    expect(Date.parse(ev.stageYellowAt) - created).toBe(LIMIT_S * 500);
    expect(Date.parse(ev.stageDueAt) - created).toBe(LIMIT_S * 1000);
    expect(Date.parse(ev.stageEscalateAt) - Date.parse(ev.stageDueAt)).toBe(GRACE_S * 1000);
    await waitFor('yellow', async () => (await event(ev.id)).warning === 'yellow');
    // the view agrees with the clock: yellow with time left before the due instant, none left after it (on a loaded
    // machine the answer may come after the due instant; a read spanning it is consistent either way)
    const due = Date.parse(ev.stageDueAt);
    const askedAt = Date.now();
    const shown = await (await as(TW)).get(`/events/${ev.id}`);
    const answeredAt = Date.now();
    if (answeredAt < due) {
      expect(shown.body.warning).toBe('yellow');
      expect(shown.body.remainingMinutes).toBeGreaterThan(0);
    } else if (askedAt > due) {
      expect(['yellow', 'red']).toContain(shown.body.warning);
      expect(shown.body.remainingMinutes).toBeLessThanOrEqual(0);
    } else {
      expect(['yellow', 'red']).toContain(shown.body.warning);
    }
    await waitFor('escalation', () => escalated(ev.id));
    await expectEscalatedOnce(ev, SLACK_MS);
    const after = await event(ev.id);
    expect(after).toMatchObject({ status: 'accepted', level: 'county', stage: 'accept' });
    const t = (await (await as('county.op')).get(`/events/${ev.id}`)).body.timeline;
    const esc = t.find((x: { type: string }) => x.type === 'escalate');
    expect(esc.note).toContain('自动上报');
    expect(esc.actorRole).toBe('system');
    const urge = t.find((x: { type: string }) => x.type === 'urge');
    expect(urge.note).toContain('催办');
  });

  it('suspend stops the clock and resume restarts it with the time that was left', async () => {
    const ev = await reportUrgent();
    await act(TW, ev.id, { type: 'accept' });
    await act(TW, ev.id, { type: 'dispatch', unitCode: JG });
    await act(`h.${JG}`, ev.id, { type: 'sign' });
    const running = await event(ev.id);
    expect(running.stage).toBe('handle');
    const jobId = `${ev.id}_${running.sla_next_at.getTime()}`;
    await waitFor('timer job', async () => (await redisJob(jobId)) !== null);
    await act(TW, ev.id, { type: 'suspend', reason: '等待第三方鉴定' });
    const paused = await event(ev.id);
    expect(paused.status).toBe('suspended');
    expect(paused.stage_paused_at).not.toBeNull();
    expect(paused.sla_next_at).toBeNull();
    await waitFor('timer job removed', async () => (await redisJob(jobId)) === null);
    await waitFor('some time to pass while suspended', async () => Date.now() > running.stage_yellow_at.getTime() + 200);
    await act(TW, ev.id, { type: 'resume' });
    const resumed = await event(ev.id);
    const times = (await api.db.query(`SELECT type, at FROM event_actions WHERE event_id = $1 AND type IN ('suspend','resume') ORDER BY id`, [ev.id])).rows;
    const pausedFor = times[1].at.getTime() - times[0].at.getTime();
    expect(pausedFor).toBeGreaterThan(0);
    expect(resumed.stage_due_at.getTime() - running.stage_due_at.getTime()).toBe(pausedFor);
    expect(resumed.stage_yellow_at.getTime() - running.stage_yellow_at.getTime()).toBe(pausedFor);
    expect(resumed.warning).toBe('none'); // the yellow mark passed while the clock was stopped: no warning
    await startWorker();
    await waitFor('red after resume', async () => (await event(ev.id)).warning === 'red');
    const red = (await systemRows(ev.id)).find((r) => r.type === 'warn' && r.data.warning === 'red')!;
    expect(red.at.getTime()).toBeGreaterThanOrEqual(resumed.stage_due_at.getTime());
    // the handling stage never escalates by itself
    expect((await event(ev.id)).level).toBe('township');
  });

  it('an approved extension moves the due time', async () => {
    const ev = await reportUrgent();
    await act(TW, ev.id, { type: 'accept' });
    await act(TW, ev.id, { type: 'dispatch', unitCode: JG });
    await act(`h.${JG}`, ev.id, { type: 'sign' });
    const before = await event(ev.id);
    const until = new Date(Date.now() + 3600_000).toISOString();
    await act(`h.${JG}`, ev.id, { type: 'request_extension', until, reason: '需协调供电部门' });
    expect((await event(ev.id)).stage_due_at).toEqual(before.stage_due_at); // a request alone changes nothing
    await act(TW, ev.id, { type: 'approve_extension' });
    const after = await event(ev.id);
    expect(after.stage_due_at.toISOString()).toBe(until);
    expect(after.sla_next_at.getTime()).toBeGreaterThan(Date.now() + 60_000);
    expect(after.warning).toBe('none');
  });

  it('closing an event cancels its pending timers', async () => {
    const ev = await reportUrgent();
    const jobId = `${ev.id}_${Date.parse(ev.slaNextAt)}`;
    await waitFor('timer job', async () => (await redisJob(jobId)) !== null);
    await act(TW, ev.id, { type: 'reject', reason: '误报' });
    const closed = await event(ev.id);
    expect(closed.sla_next_at).toBeNull();
    expect(closed.stage).toBeNull();
    await waitFor('timer job removed', async () => (await redisJob(jobId)) === null);
    // the sweeper, the source of truth's guard, does not bring it back
    const { SlaEngine } = await import('#core');
    const w = await startWorker();
    await w.get(SlaEngine).sweep();
    expect(await redisJob(jobId)).toBeNull();
    expect(await systemRows(ev.id)).toEqual([]);
  });
});

describe('SLA faults: every due escalation happens exactly once, within the sweeper period', () => {
  it('survives a worker stopped in the middle of a run and restarted', async () => {
    const w = await startWorker();
    const events = [await reportUrgent(), await reportUrgent(), await reportUrgent()];
    await waitFor('first yellow', async () => (await event(events[0]!.id)).warning !== 'none');
    await stopWorker(w);
    const lastMark = Math.max(...events.map((e) => Date.parse(e.stageEscalateAt)));
    await waitFor('marks to pass while no worker runs', async () => Date.now() > lastMark + 300);
    const restartedAt = Date.now();
    await startWorker();
    for (const ev of events) await waitFor('escalation after restart', () => escalated(ev.id));
    for (const ev of events) await expectEscalatedOnce(ev, restartedAt - Date.parse(ev.stageEscalateAt) + SWEEP_MS + SLACK_MS);
  });

  it('rebuilds lost timers after Redis is flushed', async () => {
    const events = [await reportUrgent(), await reportUrgent(), await reportUrgent()];
    await waitFor('timers armed', async () => (await redisJob(`${events[2]!.id}_${Date.parse(events[2]!.slaNextAt)}`)) !== null);
    // flush this run's Redis state (only our key prefix, not other users of the server)
    const prefix = process.env.REDIS_PREFIX!;
    const keys = await scan(`${prefix}:*`);
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys);
    expect(await redisJob(`${events[2]!.id}_${Date.parse(events[2]!.slaNextAt)}`)).toBeNull();
    await startWorker();
    for (const ev of events) await waitFor('escalation after flush', () => escalated(ev.id));
    for (const ev of events) await expectEscalatedOnce(ev, SWEEP_MS + SLACK_MS);
    expect(await redis.exists(`${prefix}:sla:armed`)).toBe(1);
  });

  it('a flush landing between the watermark read and its write still triggers the full rebuild', async () => {
    const { SlaEngine } = await import('#core');
    const engine = api.app.get(SlaEngine);
    const events = [await reportUrgent(), await reportUrgent()];
    const prefix = process.env.REDIS_PREFIX!;
    const jobOf = (ev: { id: string; slaNextAt: string }) => redisJob(`${ev.id}_${Date.parse(ev.slaNextAt)}`);
    // an ordinary pass first, so that the watermark exists and the next pass reads it (an incremental pass)
    await engine.sweep();
    expect(await redis.exists(`${prefix}:sla:armed`)).toBe(1);
    let flushed = 0;
    const result = await engine.sweep(2000, {
      beforeWatermark: async () => {
        if (flushed++ > 0) return;
        // the pass has read the watermark and added its jobs; now Redis loses everything under our prefix
        const keys = await scan(`${prefix}:*`);
        if (keys.length) await redis.del(...keys);
        for (const ev of events) expect(await jobOf(ev)).toBeNull();
      },
    });
    expect(flushed).toBe(2);
    // the loss was detected within the same call: a full rebuild ran, every job is back, the watermark is written again
    expect(result.full).toBe(true);
    for (const ev of events) expect(await jobOf(ev)).not.toBeNull();
    expect(await redis.exists(`${prefix}:sla:armed`)).toBe(1);
    // and the timers fire: each event escalates exactly once
    await startWorker();
    for (const ev of events) await waitFor('escalation after a mid-pass flush', () => escalated(ev.id));
    for (const ev of events) await expectEscalatedOnce(ev, SWEEP_MS + SLACK_MS);
  });

  it('two workers at once never double-escalate or double-urge', async () => {
    await startWorker();
    await startWorker();
    const events = await Promise.all(Array.from({ length: 8 }, () => reportUrgent()));
    for (const ev of events) await waitFor('escalation', () => escalated(ev.id));
    for (const ev of events) await expectEscalatedOnce(ev, SLACK_MS);
    const counts = await api.db.query(`SELECT count(*) FILTER (WHERE type = 'escalate')::int AS escalations,
        count(*) FILTER (WHERE type = 'urge' AND from_level = 'township')::int AS urges
      FROM event_actions WHERE actor_role = 'system' AND event_id = ANY($1::uuid[])`, [events.map((e) => e.id)]);
    expect(counts.rows[0]).toEqual({ escalations: 8, urges: 8 });
  });
});

async function scan(pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

async function redisJob(jobId: string): Promise<Record<string, string> | null> {
  const h = await redis.hgetall(`${process.env.REDIS_PREFIX}:sla:${jobId}`);
  return Object.keys(h).length ? h : null;
}
