import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import sharp from 'sharp';
import { AttachmentsService } from '#core';
import { DEMO_PASSWORD, newId, pointIn, startApi } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

// Issue 9: photos display in the pages without an access token in a URL — short-lived signed links, with thumbnails,
// that stop working at their expiry and when the session that got them ends.
let api: ApiHarness;
let eventId: string;
let photoId: string;
let afterPhotoId: string;

const image = (w: number, h: number) =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r: 30, g: 120, b: 200 } } }).png().toBuffer();

beforeAll(async () => {
  api = await startApi('photo_links');
  const gw = await api.as('gw.330523001002001');
  photoId = (await gw.upload(await image(1200, 900), 'scene.png')).body.id;
  afterPhotoId = (await gw.upload(await image(800, 600), 'after.png')).body.id;
  const at = await pointIn(api.db, '330523001002001');
  eventId = newId();
  const res = await gw.post('/events', { id: eventId, categoryCode: '0101', description: '路灯不亮', location: at, attachmentIds: [photoId] });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await api?.close();
});

async function detailAs(username: string) {
  return (await (await api.as(username)).get(`/events/${eventId}`)).body;
}

describe('signed photo links', () => {
  it('the detail carries a link and a thumbnail link per photo, loadable without a token, containing no token', async () => {
    const detail = await detailAs('tw.330523001');
    expect(detail.photos).toHaveLength(1);
    const [p] = detail.photos;
    expect(p.id).toBe(photoId);
    expect(Date.parse(p.expiresAt) - Date.now()).toBeGreaterThan(500_000);
    const token = await api.token('tw.330523001');
    expect(p.url).not.toContain(token.split('.')[2]);
    const full = await api.http().get(p.url);
    expect(full.status).toBe(200);
    expect(full.headers['content-type']).toBe('image/jpeg');
    expect(full.headers['cache-control']).toMatch(/^private, max-age=\d+$/);
    expect(full.headers['referrer-policy']).toBe('no-referrer');
    expect((await sharp(full.body as Buffer).metadata()).width).toBe(1200);
    const thumb = await api.http().get(p.thumbUrl);
    expect(thumb.status).toBe(200);
    const meta = await sharp(thumb.body as Buffer).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(360);
    expect((thumb.body as Buffer).length).toBeLessThan((full.body as Buffer).length);
  });

  it('photos of timeline rows are linked too, each photo once', async () => {
    const tw = await api.as('tw.330523001');
    const v = (await tw.get(`/events/${eventId}`)).body.version;
    expect((await tw.post(`/events/${eventId}/actions`, { type: 'accept', expectedVersion: v })).status).toBe(201);
    const v2 = (await tw.get(`/events/${eventId}`)).body.version;
    expect((await tw.post(`/events/${eventId}/actions`, { type: 'dispatch', unitCode: '330523001-JG', expectedVersion: v2 })).status).toBe(201);
    const h = await api.as('h.330523001-JG');
    const v3 = (await h.get(`/events/${eventId}`)).body.version;
    expect((await h.post(`/events/${eventId}/actions`, { type: 'sign', expectedVersion: v3 })).status).toBe(201);
    const up = await h.upload(await image(640, 480), 'done.png');
    afterPhotoId = up.body.id;
    const v4 = (await h.get(`/events/${eventId}`)).body.version;
    expect((await h.post(`/events/${eventId}/actions`, { type: 'feedback', note: '已修复', attachmentIds: [afterPhotoId], expectedVersion: v4 })).status).toBe(201);
    const detail = await detailAs('tw.330523001');
    expect(detail.photos.map((p: { id: string }) => p.id)).toEqual([photoId, afterPhotoId]);
    expect((await api.http().get(detail.photos[1].url)).status).toBe(200);
  });

  it('a forged, altered or malformed link is 404 problem+json', async () => {
    const [p] = (await detailAs('county.op')).photos;
    const token: string = p.url.split('/').pop();
    const [body, sig] = token.split('.');
    const other = Buffer.from(Buffer.from(body, 'base64url').toString().replace(photoId, afterPhotoId)).toString('base64url');
    for (const bad of [`${other}.${sig}`, `${body}.${sig.slice(0, -2)}AA`, `${body}`, 'x', `${body}.${sig}x`]) {
      const res = await api.http().get(`/api/v1/attachments/media/${bad}`);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('a link expires (PHOTO_LINK_SECONDS)', async () => {
    const [p] = (await detailAs('county.op')).photos;
    const token: string = p.url.split('/').pop();
    const service = api.app.get(AttachmentsService);
    expect(service.verifyPhotoLink(token)).not.toBeNull();
    expect(service.verifyPhotoLink(token, Date.parse(p.expiresAt) + 1)).toBeNull();
  });

  it('a link stops working when the session that got it ends', async () => {
    const login = await api.http().post('/api/v1/auth/login').send({ username: 'county.lead', password: DEMO_PASSWORD });
    const auth = { Authorization: `Bearer ${login.body.accessToken}` };
    const [p] = (await api.http().get(`/api/v1/events/${eventId}`).set(auth)).body.photos;
    expect((await api.http().get(p.url)).status).toBe(200);
    expect((await api.http().post('/api/v1/auth/logout').set(auth)).status).toBe(204);
    expect((await api.http().get(p.url)).status).toBe(404);
  });

  it('no links for someone who cannot see the event', async () => {
    const other = await api.as('tw.330523105');
    expect((await other.get(`/events/${eventId}`)).status).toBe(404);
  });
});
