import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Response } from 'supertest';
import { v4 as uuidv4 } from 'uuid';
import { newId, pointIn, rowCounts, SIGN_IN_AND_AUDIT, startApi } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

jest.setTimeout(60_000);

// Bad input gets a clear 4xx as RFC 9457 application/problem+json naming the problem (and the field where
// there is one), and nothing half-written is left behind: events, actions, outbox and attachments are untouched.
const DIPU = '330523001';            // 递铺街道
const GRID = '330523001002001';      // 苕秀社区 第1网格 (递铺街道)
const GW = `gw.${GRID}`;
const TW = `tw.${DIPU}`;
const JG = `${DIPU}-JG`;

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi('bad_input');
}, 120_000);
afterAll(async () => { await api?.close(); });

const as = (username: string) => api.as(username);

/** A 4xx problem+json with a title and detail; when `field` is given, errors[] names it. */
function expectProblem(res: Response, status: number, field?: string) {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.text) as { type: string; title: string; status: number; detail: string; instance: string; errors?: { field: string; message: string }[] };
  expect(body.status).toBe(status);
  expect(typeof body.type).toBe('string');
  expect(body.title).toBeTruthy();
  expect(body.detail).toBeTruthy();
  expect(typeof body.instance).toBe('string');
  if (field !== undefined) {
    expect(body.errors?.map((e) => e.field)).toContain(field);
    for (const e of body.errors ?? []) expect(e.message).toBeTruthy();
  }
  return body;
}

async function validReport(extra: Record<string, unknown> = {}) {
  const at = await pointIn(api.db, GRID);
  return { id: newId(), categoryCode: '0901', description: '路边暴露垃圾，需清运', location: { lng: at.lng, lat: at.lat }, ...extra };
}

/** Runs `fn`, then checks that no table a bad request must not touch changed. */
async function unchanged(fn: () => Promise<void>) {
  // the blocks sign users in and some expect a (audited) 403: every other table must stay as it was
  const before = await rowCounts(api.db, SIGN_IN_AND_AUDIT);
  await fn();
  expect(await rowCounts(api.db, SIGN_IN_AND_AUDIT)).toEqual(before);
}

async function reported() {
  const res = await (await as(GW)).post('/events', await validReport());
  expect(res.status).toBe(201);
  return res.body as { id: string; version: number };
}

describe('report (POST /api/v1/events) with bad input', () => {
  it('a point outside the county (Hangzhou) is 422 on location', async () => {
    await unchanged(async () => {
      const body = await validReport({ location: { lng: 120.15, lat: 30.28 } });
      const p = expectProblem(await (await as(GW)).post('/events', body), 422, 'location');
      expect(p.detail).toContain('outside county 330523');
      expect((await api.db.query(`SELECT 1 FROM events WHERE id = $1`, [body.id])).rowCount).toBe(0);
    });
  });

  it('NaN, null, out-of-range or missing coordinates are 400 naming the coordinate', async () => {
    await unchanged(async () => {
      const gw = await as(GW);
      const at = await pointIn(api.db, GRID);
      expectProblem(await gw.post('/events', await validReport({ location: { lng: 'NaN', lat: at.lat } })), 400, 'location.lng');
      expectProblem(await gw.post('/events', await validReport({ location: { lng: at.lng, lat: 'NaN' } })), 400, 'location.lat');
      expectProblem(await gw.post('/events', await validReport({ location: { lng: null, lat: at.lat } })), 400, 'location.lng');
      expectProblem(await gw.post('/events', await validReport({ location: { lat: at.lat } })), 400, 'location.lng');
      expectProblem(await gw.post('/events', await validReport({ location: { lng: 500, lat: at.lat } })), 400, 'location.lng');
      expectProblem(await gw.post('/events', await validReport({ location: { lng: at.lng, lat: -91 } })), 400, 'location.lat');
      expectProblem(await gw.post('/events', await validReport({ location: { lng: at.lng, lat: at.lat, crs: 'bd09' } })), 400, 'location.crs');
      expectProblem(await gw.post('/events', await validReport({ location: null })), 400, 'location');
      expectProblem(await gw.post('/events', await validReport({ location: '119.6,30.6' })), 400, 'location');
      const { location: _omitted, ...noLocation } = await validReport();
      expectProblem(await gw.post('/events', noLocation), 400, 'location');
    });
  });

  it('an unknown category is 422 (well-formed) or 400 (malformed) on categoryCode', async () => {
    await unchanged(async () => {
      const gw = await as(GW);
      const p = expectProblem(await gw.post('/events', await validReport({ categoryCode: '0999' })), 422, 'categoryCode');
      expect(p.detail).toContain('0999');
      // 人口变动 is an information-collection category (信息采集), not an event
      expectProblem(await gw.post('/events', await validReport({ categoryCode: '1601' })), 422, 'categoryCode');
      expectProblem(await gw.post('/events', await validReport({ categoryCode: 'abcd' })), 400, 'categoryCode');
      expectProblem(await gw.post('/events', await validReport({ categoryCode: '09011' })), 400, 'categoryCode');
      expectProblem(await gw.post('/events', await validReport({ categoryCode: 901 })), 400, 'categoryCode');
    });
  });

  it('a 100 KB description is 400 on description (and an empty one too)', async () => {
    await unchanged(async () => {
      const gw = await as(GW);
      expectProblem(await gw.post('/events', await validReport({ description: '垃'.repeat(34_000) })), 400, 'description');
      expectProblem(await gw.post('/events', await validReport({ description: 'x'.repeat(100 * 1024) })), 400, 'description');
      expectProblem(await gw.post('/events', await validReport({ description: '' })), 400, 'description');
    });
  });

  it('an id that is not a client-generated UUID v7 is 400 on id', async () => {
    await unchanged(async () => {
      const gw = await as(GW);
      for (const id of [uuidv4(), 'not-a-uuid', '', 42, newId().replace(/-/g, '')]) {
        expectProblem(await gw.post('/events', await validReport({ id })), 400, 'id');
      }
      const { id: _omitted, ...noId } = await validReport();
      expectProblem(await gw.post('/events', noId), 400, 'id');
    });
  });

  it('unknown extra fields are refused with 400 naming them, at the top level and nested', async () => {
    await unchanged(async () => {
      const gw = await as(GW);
      expectProblem(await gw.post('/events', await validReport({ status: 'closed' })), 400, 'status');
      expectProblem(await gw.post('/events', await validReport({ reporterId: newId() })), 400, 'reporterId');
      const at = await pointIn(api.db, GRID);
      expectProblem(await gw.post('/events', await validReport({ location: { ...at, alt: 12 } })), 400, 'location.alt');
    });
  });

  it('an invalid JSON body is 400', async () => {
    await unchanged(async () => {
      const gw = await as(GW);
      const p = expectProblem(await gw.raw('/events', `{"id": "${newId()}", "categoryCode": "0901",`), 400);
      expect(p.detail).toMatch(/JSON/);
      expectProblem(await gw.raw('/events', `{'id': 1}`), 400);
      // valid JSON, but not an object
      expectProblem(await gw.raw('/events', `[1, 2, 3]`), 400);
    });
  });

  it('a report by a role that does not report (a handler, the county leader) is 403', async () => {
    await unchanged(async () => {
      for (const user of [`h.${JG}`, 'county.lead']) {
        const p = expectProblem(await (await as(user)).post('/events', await validReport()), 403);
        expect(p.detail).toMatch(/cannot report/);
      }
    });
  });

  it('a bad attachment reference is 422 on attachmentIds[i]', async () => {
    const sharp = (await import('sharp')).default;
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().toBuffer();
    const someoneElses = (await (await as(TW)).upload(png, 'x.png')).body.id as string;
    // warm the report fast path first, so the refusal is tested on it too
    expect((await (await as(GW)).post('/events', await validReport())).status).toBe(201);
    await unchanged(async () => {
      expectProblem(await (await as(GW)).post('/events', await validReport({ attachmentIds: [someoneElses] })), 422, 'attachmentIds[0]');
      expectProblem(await (await as(GW)).post('/events', await validReport({ attachmentIds: [newId()] })), 422, 'attachmentIds[0]');
      expectProblem(await (await as(GW)).post('/events', await validReport({ attachmentIds: ['x'] })), 400, 'attachmentIds');
    });
  });
});

describe('attachments (POST /api/v1/attachments) with bad input', () => {
  it('a 20 MB upload is 413 on file', async () => {
    await unchanged(async () => {
      const big = Buffer.alloc(20 * 1024 * 1024, 0);
      // a JPEG signature, so only the size is wrong
      big[0] = 0xff; big[1] = 0xd8; big[2] = 0xff; big[3] = 0xe0;
      const res = await (await as(GW)).upload(big, 'big.jpg', 'image/jpeg');
      expectProblem(res, 413, 'file');
    });
  }, 60_000);

  it('a text file named .jpg is 415 on file: the type is sniffed, never taken from the name', async () => {
    await unchanged(async () => {
      const res = await (await as(GW)).upload(Buffer.from('这不是一张照片\n'.repeat(100)), 'photo.jpg', 'image/jpeg');
      const p = expectProblem(res, 415, 'file');
      expect(p.type).toBe('urn:grid141:problem:unsupported-media');
    });
  });

  it('an HTML file named .png and a truncated JPEG are 415; a missing file is 400', async () => {
    await unchanged(async () => {
      const gw = await as(GW);
      expectProblem(await gw.upload(Buffer.from('<html><script>alert(1)</script></html>'), 'x.png', 'image/png'), 415, 'file');
      const sharp = (await import('sharp')).default;
      const jpeg = await sharp({ create: { width: 200, height: 200, channels: 3, background: { r: 10, g: 200, b: 40 } } }).jpeg().toBuffer();
      expectProblem(await gw.upload(jpeg.subarray(0, 40), 'cut.jpg'), 415, 'file');
      expectProblem(await api.http().post('/api/v1/attachments').set({ Authorization: `Bearer ${await api.token(GW)}` })
        .field('note', 'no file'), 400, 'file');
    });
  });
});

describe('actions (POST /api/v1/events/:id/actions) with bad input', () => {
  it('an action not allowed in the current state is 409 (sign on a reported event)', async () => {
    const ev = await reported();
    await unchanged(async () => {
      const p = expectProblem(await (await as(TW)).post(`/events/${ev.id}/actions`, { type: 'sign' }), 409);
      expect(p.type).toBe('urn:grid141:problem:action-not-allowed');
      expectProblem(await (await as(TW)).post(`/events/${ev.id}/actions`, { type: 'verify', pass: true }), 409);
    });
    const after = await (await as(TW)).get(`/events/${ev.id}`);
    expect(after.body).toMatchObject({ status: 'reported', version: 1 });
  });

  it('an action by the wrong role is 403 (a grid worker dispatching in its own grid)', async () => {
    const ev = await reported();
    const acc = await (await as(TW)).post(`/events/${ev.id}/actions`, { type: 'accept' });
    expect(acc.status).toBe(201);
    await unchanged(async () => {
      const p = expectProblem(await (await as(GW)).post(`/events/${ev.id}/actions`, { type: 'dispatch', unitCode: JG }), 403);
      expect(p.type).toBe('urn:grid141:problem:role-not-allowed');
      // a handler of the township cannot dispatch either (it cannot even see an event not yet dispatched to it)
      expect([403, 404]).toContain((await (await as(`h.${JG}`)).post(`/events/${ev.id}/actions`, { type: 'dispatch', unitCode: JG })).status);
    });
    const after = await (await as(TW)).get(`/events/${ev.id}`);
    expect(after.body).toMatchObject({ status: 'accepted', version: 2, handlerUnitCode: null });
  });

  it('an unknown action type is 400 on type; so is a missing one', async () => {
    const ev = await reported();
    await unchanged(async () => {
      const tw = await as(TW);
      expectProblem(await tw.post(`/events/${ev.id}/actions`, { type: 'teleport' }), 400, 'type');
      expectProblem(await tw.post(`/events/${ev.id}/actions`, { type: 'warn', warning: 'red' }), 400, 'type');
      expectProblem(await tw.post(`/events/${ev.id}/actions`, { note: 'no type' }), 400, 'type');
    });
  });

  it('unknown extra fields, bad payload fields and invalid JSON are 400 and change nothing', async () => {
    const ev = await reported();
    await unchanged(async () => {
      const tw = await as(TW);
      expectProblem(await tw.post(`/events/${ev.id}/actions`, { type: 'accept', status: 'closed' }), 400, 'status');
      expectProblem(await tw.post(`/events/${ev.id}/actions`, { type: 'accept', expectedVersion: 'one' }), 400, 'expectedVersion');
      expectProblem(await tw.post(`/events/${ev.id}/actions`, { type: 'accept', expectedVersion: 0 }), 400, 'expectedVersion');
      expectProblem(await tw.post(`/events/${ev.id}/actions`, { type: 'accept', note: 'x'.repeat(100 * 1024) }), 400, 'note');
      expectProblem(await tw.raw(`/events/${ev.id}/actions`, `{"type": "accept"`), 400);
    });
    const after = await (await as(TW)).get(`/events/${ev.id}`);
    expect(after.body).toMatchObject({ status: 'reported', version: 1 });
    expect(after.body.timeline).toHaveLength(1);
  });

  it('a stale expectedVersion is 409 and nothing changes', async () => {
    const ev = await reported();
    const tw = await as(TW);
    const ok = await tw.post(`/events/${ev.id}/actions`, { type: 'accept', expectedVersion: 1 });
    expect(ok.status).toBe(201);
    expect(ok.body.version).toBe(2);
    const before = await tw.get(`/events/${ev.id}`);
    await unchanged(async () => {
      const p = expectProblem(await tw.post(`/events/${ev.id}/actions`, { type: 'dispatch', unitCode: JG, expectedVersion: 1 }), 409);
      expect(p.type).toBe('urn:grid141:problem:stale-version');
      expectProblem(await tw.post(`/events/${ev.id}/actions`, { type: 'dispatch', unitCode: JG, expectedVersion: 3 }), 409);
    });
    const after = await tw.get(`/events/${ev.id}`);
    const stable = ({ remainingMinutes: _computedOnRead, ...rest }: Record<string, unknown>) => rest;
    expect(stable(after.body)).toEqual(stable(before.body));
    expect(after.body).toMatchObject({ status: 'accepted', version: 2, handlerUnitCode: null });
  });

  it('a dispatch to an unknown unit is 422 on unitCode and changes nothing', async () => {
    const ev = await reported();
    const tw = await as(TW);
    expect((await tw.post(`/events/${ev.id}/actions`, { type: 'accept' })).status).toBe(201);
    await unchanged(async () => {
      expectProblem(await tw.post(`/events/${ev.id}/actions`, { type: 'dispatch', unitCode: '330523001-XX' }), 422, 'unitCode');
      expectProblem(await tw.post(`/events/${ev.id}/actions`, { type: 'dispatch', unitCode: JG, supportUnitCodes: ['330523105-JG'] }), 422, 'supportUnitCodes[0]');
    });
  });
});

describe('ids in the path', () => {
  it('GET /api/v1/events/not-a-uuid is a 404 problem; so is an action on it and an unknown id', async () => {
    await unchanged(async () => {
      const tw = await as(TW);
      expectProblem(await tw.get('/events/not-a-uuid'), 404);
      expectProblem(await tw.post('/events/not-a-uuid/actions', { type: 'accept' }), 404);
      expectProblem(await tw.get(`/events/${newId()}`), 404);
      expectProblem(await tw.post(`/events/${newId()}/actions`, { type: 'accept' }), 404);
      expectProblem(await tw.get('/attachments/not-a-uuid'), 404);
      expectProblem(await tw.get('/no-such-route'), 404);
    });
  });
});


describe('inputs that must be refused before they reach SQL', () => {
  it('NUL characters (PostgreSQL text cannot hold them) are 400 naming the field, not 500', async () => {
    const ev = await reported();
    await unchanged(async () => {
      const gw = await as(GW);
      const tw = await as(TW);
      expectProblem(await gw.post('/events', await validReport({ description: '路边\u0000垃圾' })), 400, 'description');
      expectProblem(await gw.post('/events', await validReport({ address: 'a\u0000b' })), 400, 'address');
      expectProblem(await tw.post(`/events/${ev.id}/actions`, { type: 'reject', reason: 'x\u0000' }), 400, 'reason');
      expectProblem(await tw.post(`/events/${ev.id}/actions`, { type: 'dispatch', unitCode: 'a', supportUnitCodes: ['b', 'c\u0000'] }), 400, 'supportUnitCodes[1]');
      expectProblem(await tw.get('/events?q=a%00b'), 400, 'q');
      expectProblem(await tw.get('/regions/locate?lng=119.6&lat=30.6&crs=wgs84%00'), 400, 'crs');
      expectProblem(await api.http().post('/api/v1/auth/login').send({ username: 'admin\u0000', password: 'x' }), 400, 'username');
    });
    const after = await (await as(TW)).get(`/events/${ev.id}`);
    expect(after.body).toMatchObject({ status: 'reported', version: 1 });
  });

  it('a list cursor that this API did not issue is 400 on cursor, not 500', async () => {
    const tw = await as(TW);
    const forged = Buffer.from('2026-01-01T00:00:00.000Z|not-an-id').toString('base64url');
    expectProblem(await tw.get(`/events?cursor=${forged}`), 400, 'cursor');
    expectProblem(await tw.get(`/events?updatedSince=2026-01-01T00:00:00Z&cursor=${forged}`), 400, 'cursor');
    expectProblem(await tw.get('/events?cursor=%25%25%25'), 400, 'cursor');
    // a real cursor still pages
    await reported(); await reported();
    const page = await tw.get('/events?limit=1');
    expect(page.status).toBe(200);
    expect(page.body.nextCursor).toBeTruthy();
    const next = await tw.get(`/events?limit=1&cursor=${page.body.nextCursor}`);
    expect(next.status).toBe(200);
    expect(next.body.items[0].id).not.toBe(page.body.items[0].id);
  });

  it('a JSON body over the 1 MB limit is 413 about the body (not a file); a body of another media type is 415; invalid JSON is 400', async () => {
    await unchanged(async () => {
      const gw = await as(GW);
      const big = expectProblem(await gw.post('/events', await validReport({ description: 'x'.repeat(2 * 1024 * 1024) })), 413);
      expect(big.title).toBe('Content Too Large');
      expect(big.detail).toMatch(/body/);
      expect(big.errors ?? []).toEqual([]);
      const token = await api.token(GW);
      expectProblem(await api.http().post('/api/v1/events').set('Authorization', `Bearer ${token}`).set('Content-Type', 'text/plain')
        .send('id=1'), 415, 'body');
      const bad = expectProblem(await gw.raw('/events', 'null'), 400);
      expect(bad.title).toBe('Bad Request');
      expect(bad.detail).toMatch(/not valid JSON/);
    });
  });
});
