import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { Redis } from 'ioredis';
import { CHANGE_POSITION_PATTERN } from '#contracts';
import { newId, pointIn, startApi, waitFor } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

// Every change is announced through the outbox (same transaction) and relayed by the worker to Redis pub/sub,
// at least once, for live updates; nothing is lost while no worker runs.
const GRID = '330523001002001';
let api: ApiHarness;
let sub: Redis;
const messages: { channel: string; body: { outboxId: number; topic: string; position: string; eventId?: string; type?: string; status?: string; version?: number } }[] = [];

beforeAll(async () => {
  api = await startApi('outbox');
  sub = new Redis('redis://127.0.0.1:6379');
  await sub.psubscribe(`${process.env.REDIS_PREFIX}:live:*`);
  sub.on('pmessage', (_p, channel, message) => messages.push({ channel, body: JSON.parse(message) }));
});
afterAll(async () => { await sub?.quit(); await api?.close(); });

async function startWorker(): Promise<INestApplicationContext> {
  const { createWorker } = await import('../../apps/worker/src/worker.factory.js');
  return createWorker({ logger: ['error'] });
}

describe('worker health', () => {
  it('answers /health/live and /health/ready when WORKER_HEALTH_PORT is set', async () => {
    process.env.WORKER_HEALTH_PORT = '39141';
    const worker = await startWorker();
    try {
      expect((await fetch('http://127.0.0.1:39141/health/live')).status).toBe(200);
      const ready = await fetch('http://127.0.0.1:39141/health/ready');
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ok' });
    } finally {
      await worker.close();
      delete process.env.WORKER_HEALTH_PORT;
    }
  });
});

describe('outbox relay', () => {
  it('publishes each change once, in order, and keeps what was written while no worker ran', async () => {
    const gw = await api.as(`gw.${GRID}`);
    const tw = await api.as('tw.330523001');
    const res = await gw.post('/events', { id: newId(), categoryCode: '0901', description: '测试发布', location: await pointIn(api.db, GRID) });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    expect((await tw.post(`/events/${id}/actions`, { type: 'accept' })).status).toBe(201);
    // no worker yet: the announcements wait in the outbox
    const pending = await api.db.query(`SELECT count(*)::int AS n FROM outbox WHERE aggregate_id = $1 AND published_at IS NULL`, [id]);
    expect(pending.rows[0].n).toBeGreaterThanOrEqual(2);
    expect(messages.filter((m) => m.body.eventId === id)).toEqual([]);

    const worker = await startWorker();
    try {
      const mine = () => messages.filter((m) => m.body.eventId === id && m.body.topic === 'event.changed');
      await waitFor('two event.changed messages', async () => mine().length >= 2);
      expect(mine().map((m) => [m.body.type, m.body.status, m.body.version])).toEqual([['report', 'reported', 1], ['accept', 'accepted', 2]]);
      expect(mine()[0]!.channel).toBe(`${process.env.REDIS_PREFIX}:live:event.changed`);
      // each carries its timeline row's change-feed position, the same as GET /changes gives
      const feed = await api.db.query(`SELECT xid || '.' || id AS position FROM event_actions WHERE event_id = $1 ORDER BY xid, id`, [id]);
      expect(mine().map((m) => m.body.position)).toEqual(feed.rows.map((r) => r.position));
      expect(mine().every((m) => new RegExp(CHANGE_POSITION_PATTERN).test(m.body.position))).toBe(true);
      const notices = messages.filter((m) => m.body.eventId === id && m.body.topic === 'unit.notify');
      expect(notices.length).toBeGreaterThanOrEqual(1);
      await waitFor('outbox drained', async () =>
        (await api.db.query(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`)).rows[0].n === 0);
      const ids = messages.map((m) => m.body.outboxId);
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      await worker.close();
    }
  });
});
