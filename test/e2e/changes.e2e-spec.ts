import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import pg from 'pg';
import { dbUrl, newId, pointIn, startApi, waitFor } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

jest.setTimeout(60_000);

// Issue 7 (first increment): the change feed. Every committed change gets a position; a reader following the cursor
// never misses a change that commits after it read, even one whose row id is older than what it already saw.
const GRID = '330523001002001';
const GW = `gw.${GRID}`;
const TW = 'tw.330523001';
const OTHER_TW = 'tw.330523105';

let api: ApiHarness;
beforeAll(async () => { api = await startApi('changes'); }, 120_000);
afterAll(async () => { await api?.close(); });

interface Change { position: string; type: string; toStatus: string; event: { id: string; version: number } }
async function feed(user: string, after?: string, limit?: number): Promise<{ items: Change[]; nextCursor: string }> {
  const qs = new URLSearchParams({ ...(after !== undefined ? { after } : {}), ...(limit ? { limit: String(limit) } : {}) });
  const res = await (await api.as(user)).get(`/changes${qs.size ? `?${qs}` : ''}`);
  if (res.status !== 200) throw new Error(`changes: ${res.status} ${res.text}`);
  return res.body;
}
/**
 * The feed from `after` once `done` holds for its items: a change shows once every older transaction of the whole
 * PostgreSQL server has ended, so another database's open transaction (a parallel run) may hold it back for a moment.
 */
async function feedUntil(user: string, after: string, done: (items: Change[]) => boolean, limit?: number): Promise<{ items: Change[]; nextCursor: string }> {
  return waitFor('the changes below the horizon', async () => {
    const page = await feed(user, after, limit);
    return done(page.items) && page;
  });
}
async function report(): Promise<{ id: string; version: number }> {
  const res = await (await api.as(GW)).post('/events', { id: newId(), categoryCode: '0901', description: '路边暴露垃圾', location: await pointIn(api.db, GRID) });
  expect(res.status).toBe(201);
  return res.body;
}

describe('GET /api/v1/changes', () => {
  it('without a cursor answers the head; from it, each committed change once, in order, with the event as it is now', async () => {
    const head = await feed(TW);
    expect(head.items).toEqual([]);
    expect(head.nextCursor).toMatch(/^\d+\.\d+$/);
    const ev = await report();
    const accepted = await (await api.as(TW)).post(`/events/${ev.id}/actions`, { type: 'accept' });
    expect(accepted.status).toBe(201);
    const page = await feedUntil(TW, head.nextCursor, (items) => items.filter((c) => c.event.id === ev.id).length >= 2);
    const mine = page.items.filter((c) => c.event.id === ev.id);
    expect(mine.map((c) => [c.type, c.toStatus])).toEqual([['report', 'reported'], ['accept', 'accepted']]);
    expect(mine.every((c) => c.event.version === 2)).toBe(true);
    // following the cursor: nothing twice
    const again = await feed(TW, page.nextCursor);
    expect(again.items.filter((c) => c.event.id === ev.id)).toEqual([]);
    // positions strictly increase
    const positions = page.items.map((c) => c.position.split('.').map(BigInt) as [bigint, bigint]);
    for (let i = 1; i < positions.length; i++) {
      const [a, b] = [positions[i - 1]!, positions[i]!];
      expect(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])).toBe(true);
    }
  });

  it('shows only what the caller may see (another township sees nothing of it)', async () => {
    const head = await feed(OTHER_TW);
    const ev = await report();
    // once the grid worker's feed has it, the other township's feed is past it too (same horizon) and must not have it
    const gwHead = await feedUntil(GW, head.nextCursor, (items) => items.some((c) => c.event.id === ev.id));
    expect(gwHead.items.filter((c) => c.event.id === ev.id)).toHaveLength(1);
    expect((await feed(OTHER_TW, head.nextCursor)).items.filter((c) => c.event.id === ev.id)).toEqual([]);
  });

  it('a change that commits after a read, with an older row id, is still delivered (no gap behind the cursor)', async () => {
    const ev = await report();
    const head = await feed(TW);
    // another process writes a change and holds its transaction open
    const slow = new pg.Client({ connectionString: dbUrl(api.dbName) });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      const { rows: [late] } = await slow.query(
        `INSERT INTO event_actions (event_id, type, from_status, to_status, from_level, to_level, actor_role, at)
         VALUES ($1, 'urge', 'reported', 'reported', 'township', 'township', 'system', now()) RETURNING id::text AS id`, [ev.id]);
      // meanwhile a later change commits (its row id is higher)
      expect((await (await api.as(TW)).post(`/events/${ev.id}/actions`, { type: 'accept' })).status).toBe(201);
      const during = await feed(TW, head.nextCursor);
      expect(during.items.map((c) => c.position.split('.')[1])).not.toContain(late.id);
      await slow.query('COMMIT');
      // the reader resumes from where it was: the late change and the accept are both there, the late one first
      // (the horizon is the oldest transaction of the whole server: wait until other work on it has moved past)
      const seen = await waitFor('both changes below the horizon', async () => {
        const all = [...during.items, ...(await feed(TW, during.nextCursor)).items].filter((c) => c.event.id === ev.id);
        return all.length >= 2 && all;
      });
      expect(seen.map((c) => c.type)).toEqual(['urge', 'accept']);
      expect(seen.map((c) => c.position.split('.')[1])).toContain(late.id);
    } finally {
      await slow.end();
    }
  });

  it('pages by limit and continues exactly where it stopped', async () => {
    const head = await feed(TW);
    const events = [await report(), await report(), await report()];
    await feedUntil(TW, head.nextCursor, (items) => events.every((e) => items.some((c) => c.event.id === e.id)), 500);
    const first = await feed(TW, head.nextCursor, 2);
    expect(first.items).toHaveLength(2);
    const rest = await feed(TW, first.nextCursor, 500);
    const ids = [...first.items, ...rest.items].map((c) => c.event.id);
    expect(ids.filter((id) => events.some((e) => e.id === id))).toEqual(events.map((e) => e.id));
  });

  it('refuses a cursor it did not issue and an out-of-range limit with 400 naming the field', async () => {
    const c = await api.as(TW);
    for (const after of ['x', '1', '1.', '.1', '-1.0', '1.2.3', '99999999999999999999.0', '9300000000000000000.0', '01.1', '1e3.0']) {
      const res = await c.get(`/changes?after=${encodeURIComponent(after)}`);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('after');
    }
    for (const limit of ['0', '501', 'x']) {
      const res = await c.get(`/changes?limit=${limit}`);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('limit');
    }
  });
});
