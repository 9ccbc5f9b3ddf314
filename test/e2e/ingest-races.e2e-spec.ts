import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { wgs84ToGcj02 } from '#domain';
import { newId, pointIn, rowCounts, SIGN_IN_AND_AUDIT, startApi } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

// Idempotent ingest under races (a phone resending an offline report many times at once), optimistic
// locking between dispatchers, and GCJ-02 input converted on the way in.
jest.setTimeout(60_000);

const DIPU = '330523001';            // 递铺街道
const GRID = '330523001002001';      // 苕秀社区 第1网格 (递铺街道)
const XF_GRID = '330523105003001';   // a 孝丰镇 grid
const GW = `gw.${GRID}`;
const TW = `tw.${DIPU}`;
const JG = `${DIPU}-JG`;

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi('ingest_races');
}, 120_000);
afterAll(async () => { await api?.close(); });

const as = (username: string) => api.as(username);

async function reportBody(extra: Record<string, unknown> = {}, grid = GRID) {
  const at = await pointIn(api.db, grid);
  return { id: newId(), categoryCode: '0901', description: '路边暴露垃圾，需清运', location: { lng: at.lng, lat: at.lat }, address: '递铺街道某路口', ...extra };
}

async function rowsOf(id: string) {
  const r = await api.db.query(`SELECT (SELECT count(*) FROM events WHERE id = $1)::int AS events,
      (SELECT count(*) FROM event_actions WHERE event_id = $1)::int AS actions,
      (SELECT count(*) FROM outbox WHERE aggregate_id = $1 AND topic = 'event.changed')::int AS changed,
      (SELECT count(*) FROM outbox WHERE aggregate_id = $1)::int AS outbox`, [id]);
  return r.rows[0] as { events: number; actions: number; changed: number; outbox: number };
}

async function newEvent(user = GW) {
  const res = await (await as(user)).post('/events', await reportBody());
  expect(res.status).toBe(201);
  return res.body as { id: string; code: string; version: number };
}

describe('idempotent report ingest', () => {
  it('20 concurrent POSTs of the same report create exactly one event, one timeline row and one event.changed', async () => {
    // what one report writes, as the baseline for "exactly one"
    const single = await rowsOf((await newEvent()).id);
    expect(single).toMatchObject({ events: 1, actions: 1, changed: 1 });

    const gw = await as(GW);
    const body = await reportBody();
    const before = await rowCounts(api.db, SIGN_IN_AND_AUDIT);
    const results = await Promise.all(Array.from({ length: 20 }, () => gw.post('/events', body)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(19);
    const created = results.find((r) => r.status === 201)!.body;
    expect(created).toMatchObject({ id: body.id, status: 'reported', version: 1, gridCode: GRID });
    for (const r of results) {
      expect(r.body).toMatchObject({ id: body.id, code: created.code, version: 1, createdAt: created.createdAt });
    }
    expect(await rowsOf(body.id)).toEqual(single);
    const after = await rowCounts(api.db, SIGN_IN_AND_AUDIT);
    expect(after.events - before.events).toBe(1);
    expect(after.event_actions - before.event_actions).toBe(1);
    expect(after.outbox - before.outbox).toBe(single.outbox);

    // resending later (the phone came back online once more) returns the same event with 200
    const again = await gw.post('/events', body);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: body.id, code: created.code, version: 1, createdAt: created.createdAt });
    expect(await rowsOf(body.id)).toEqual(single);
  });

  it('a resent report returns the event as it is now, and its body never overwrites the stored one', async () => {
    const gw = await as(GW);
    const body = await reportBody();
    const first = await gw.post('/events', body);
    expect(first.status).toBe(201);
    expect((await (await as(TW)).post(`/events/${body.id}/actions`, { type: 'accept' })).status).toBe(201);
    const before = await rowCounts(api.db, SIGN_IN_AND_AUDIT);
    const resent = await gw.post('/events', { ...body, description: '改过的描述', categoryCode: '0201' });
    expect(resent.status).toBe(200);
    expect(resent.body).toMatchObject({ id: body.id, code: first.body.code, status: 'accepted', version: 2,
      description: body.description, categoryCode: '0901' });
    expect(await rowCounts(api.db, SIGN_IN_AND_AUDIT)).toEqual(before);
  });

  it('the same id sent by a grid worker of another township is 409 (the id is taken), and nothing is written', async () => {
    const body = await reportBody();
    const mine = await (await as(GW)).post('/events', body);
    expect(mine.status).toBe(201);
    const before = await rowCounts(api.db, SIGN_IN_AND_AUDIT);
    const outsider = await as(`gw.${XF_GRID}`);
    for (const other of [body, { ...body, location: await pointIn(api.db, XF_GRID), description: '别处的事件' }]) {
      const res = await outsider.post('/events', other);
      expect(res.status).toBe(409);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.type).toBe('urn:grid141:problem:id-taken');
      // the outsider learns nothing about the event
      expect(res.text).not.toContain(mine.body.code);
      expect(res.text).not.toContain(body.description);
    }
    expect((await outsider.get(`/events/${body.id}`)).status).toBe(404);
    // whoever can see the event (its township's dispatcher) gets it back instead, as a resend
    const dispatcher = await (await as(TW)).post('/events', body);
    expect(dispatcher.status).toBe(200);
    expect(dispatcher.body).toMatchObject({ id: body.id, code: mine.body.code, reporterId: mine.body.reporterId, source: 'grid' });
    expect(await rowCounts(api.db, SIGN_IN_AND_AUDIT)).toEqual(before);
  });

  it('20 concurrent different reports get 20 distinct codes', async () => {
    const gw = await as(GW);
    const bodies = await Promise.all(Array.from({ length: 20 }, () => reportBody()));
    const results = await Promise.all(bodies.map((b) => gw.post('/events', b)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    const codes = results.map((r) => r.body.code as string);
    expect(new Set(codes).size).toBe(20);
    for (const c of codes) expect(c).toMatch(/^330523\d{8}\d{5}$/);
  });
});

describe('optimistic locking between dispatchers', () => {
  it('10 concurrent accepts on version 1: exactly one succeeds, the rest are 409, one accept on the timeline', async () => {
    const ev = await newEvent();
    const tw = await as(TW);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      tw.post(`/events/${ev.id}/actions`, { type: 'accept', expectedVersion: 1, note: `受理 ${i}` })));
    const ok = results.filter((r) => r.status === 201);
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(9);
    for (const r of results.filter((x) => x.status === 409)) {
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.body.type).toBe('urn:grid141:problem:stale-version');
    }
    const detail = await tw.get(`/events/${ev.id}`);
    expect(detail.body).toMatchObject({ status: 'accepted', version: 2 });
    expect(detail.body.timeline.map((t: { type: string }) => t.type)).toEqual(['report', 'accept']);
    // the note on the timeline is the winner's
    expect(detail.body.timeline[1].note).toBe(`受理 ${results.findIndex((r) => r.status === 201)}`);
    expect(await rowsOf(ev.id)).toMatchObject({ actions: 2, changed: 2 });
  });

  it('without expectedVersion, concurrent accepts still apply once (the rest are 409)', async () => {
    const ev = await newEvent();
    const tw = await as(TW);
    const results = await Promise.all(Array.from({ length: 10 }, () => tw.post(`/events/${ev.id}/actions`, { type: 'accept' })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(9);
    expect(await rowsOf(ev.id)).toMatchObject({ actions: 2, changed: 2 });
  });

  it('a dispatch racing a reject on the same version: exactly one wins and the timeline agrees with the state', async () => {
    const ev = await newEvent();
    const tw = await as(TW);
    expect((await tw.post(`/events/${ev.id}/actions`, { type: 'accept', expectedVersion: 1 })).status).toBe(201);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => tw.post(`/events/${ev.id}/actions`, i % 2 === 0
      ? { type: 'dispatch', unitCode: JG, expectedVersion: 2 }
      : { type: 'reject', reason: '不属于受理范围', expectedVersion: 2 })));
    const winners = results.filter((r) => r.status === 201);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(9);
    const detail = await tw.get(`/events/${ev.id}`);
    expect(detail.body.version).toBe(3);
    expect(detail.body.status).toBe(winners[0]!.body.status);
    expect(['dispatched', 'rejected']).toContain(detail.body.status);
    const types = detail.body.timeline.map((t: { type: string }) => t.type);
    expect(types).toEqual(['report', 'accept', detail.body.status === 'dispatched' ? 'dispatch' : 'reject']);
    expect(await rowsOf(ev.id)).toMatchObject({ actions: 3, changed: 3 });
  });
});

describe('GCJ-02 input', () => {
  it('a report in GCJ-02 is stored converted to WGS84, in the grid regions/locate gives for the same input', async () => {
    const wgs = await pointIn(api.db, GRID);
    const [gLng, gLat] = wgs84ToGcj02(wgs.lng, wgs.lat);
    const gw = await as(GW);
    const res = await gw.post('/events', await reportBody({ location: { lng: gLng, lat: gLat, crs: 'gcj02' } }));
    expect(res.status).toBe(201);
    expect(res.body.gridCode).toBe(GRID);
    const { rows: [d] } = await api.db.query(
      `SELECT ST_Distance(e.location::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography) AS from_input,
              ST_Distance(e.location::geography, ST_SetSRID(ST_MakePoint($4, $5), 4326)::geography) AS from_wgs,
              ST_SRID(e.location) AS srid, ST_X(e.location) AS lng, ST_Y(e.location) AS lat
         FROM events e WHERE e.id = $1`, [res.body.id, gLng, gLat, wgs.lng, wgs.lat]);
    expect(d.srid).toBe(4326);
    expect(d.from_input).toBeGreaterThan(100);
    expect(d.from_input).toBeLessThan(1000);
    expect(d.from_wgs).toBeLessThan(0.5);
    expect(res.body.location.lng).toBeCloseTo(d.lng, 9);
    expect(res.body.location.lat).toBeCloseTo(d.lat, 9);

    const located = await gw.get(`/regions/locate?lng=${gLng}&lat=${gLat}&crs=gcj02`);
    expect(located.status).toBe(200);
    expect(located.body).toMatchObject({ gridCode: res.body.gridCode, villageCode: res.body.villageCode, townshipCode: res.body.townshipCode });

    // the same numbers sent as WGS84 are stored as they are
    const plain = await gw.post('/events', await reportBody({ location: { lng: wgs.lng, lat: wgs.lat, crs: 'wgs84' } }));
    expect(plain.status).toBe(201);
    expect(plain.body.location.lng).toBeCloseTo(wgs.lng, 9);
    expect(plain.body.location.lat).toBeCloseTo(wgs.lat, 9);
  });
});
