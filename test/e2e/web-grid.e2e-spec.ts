import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import sharp from 'sharp';
import type { Page, Request } from 'playwright-core';
import { DEMO_PASSWORD, newId, waitFor } from './support/harness.js';
import { startWebStack, waitForText } from './support/browser.js';
import type { Person, WebStack } from './support/browser.js';

jest.setTimeout(120_000);

// Issue 9, the grid worker's phone (/grid): a report made on the page is stored with its photo; a report made offline
// is kept on the phone (IndexedDB) and sent once and only once when the network is back, also after a reload while
// offline (the service worker serves the app shell); a definitive refusal is shown and not retried; nothing is loaded
// from another host.
const GRID = '330523001002001';
const USER = `gw.${GRID}`;
let stack: WebStack;
let inside: { latitude: number; longitude: number };
let category: { code: string; major: string };
let photo: Buffer;

beforeAll(async () => {
  stack = await startWebStack('web_grid');
  const p = (await stack.db.query(`SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) p FROM regions WHERE code = $1) x`, [GRID])).rows[0];
  inside = { latitude: Number(p.lat), longitude: Number(p.lng) };
  const c = (await stack.db.query(`SELECT code FROM categories WHERE is_event AND active ORDER BY code OFFSET 3 LIMIT 1`)).rows[0];
  category = { code: c.code, major: c.code.slice(0, 2) };
  // a camera-sized photo (2400 × 1800): the page makes it at most 1600 px before keeping and sending it
  photo = await sharp({ create: { width: 2400, height: 1800, channels: 3, background: { r: 190, g: 90, b: 40 } } })
    .composite([{ input: Buffer.from('<svg width="2400" height="1800"><circle cx="1200" cy="900" r="500" fill="#2a6"/></svg>'), left: 0, top: 0 }])
    .jpeg({ quality: 92 }).toBuffer();
});
afterAll(async () => {
  await stack?.close();
});

/** A grid worker's phone at `at`, signed in and on /grid/ with the page ready (and its service worker in control). */
async function phone(at = inside): Promise<Person> {
  const p = await stack.person({ mobile: true, geolocation: at });
  await p.login(USER);
  await p.page.waitForSelector('html[data-ready="1"]', { timeout: 15_000 });
  await p.page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 15_000 });
  return p;
}

/** Fills the report form: category, place from GPS, a photo, the description; then 上报. */
async function report(page: Page, description: string): Promise<void> {
  await page.click('[data-testid=pick-category]');
  await page.click(`[data-testid=category-picker] [data-major="${category.major}"]`);
  await page.click(`[data-testid=category-picker] .minor[data-code="${category.code}"]`);
  await waitForText(page, '[data-testid=gps-state]', (t) => t.includes('已定位'));
  await page.setInputFiles('[data-testid=photo-before] input', { name: 'scene.jpg', mimeType: 'image/jpeg', buffer: photo });
  await page.waitForSelector('.photos .thumb img');
  await page.fill('textarea[name=description]', description);
  await page.click('[data-testid=submit]');
}

/** A demo user's API calls (as another person's screen would make them). */
async function apiAs(username: string) {
  const login = await fetch(`${stack.url}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password: DEMO_PASSWORD }),
  });
  const { accessToken } = (await login.json()) as { accessToken: string };
  return async <T>(path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${stack.url}/api/v1${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { Authorization: `Bearer ${accessToken}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
}

/** POST /api/v1/events requests a page makes, by report id. */
function reportPosts(page: Page): Map<string, number> {
  const posts = new Map<string, number>();
  page.context().on('request', (r: Request) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/events') {
      const id = (r.postDataJSON() as { id: string }).id;
      posts.set(id, (posts.get(id) ?? 0) + 1);
    }
  });
  return posts;
}

async function eventsByDescription(description: string) {
  return (await stack.db.query(
    `SELECT e.id, e.code, e.status, e.category_code AS "categoryCode", e.attachment_ids AS "attachmentIds", u.username
       FROM events e JOIN users u ON u.id = e.reporter_id WHERE e.description = $1`, [description])).rows as
    Array<{ id: string; code: string; status: string; categoryCode: string; attachmentIds: string[]; username: string }>;
}

async function attachmentsOf(ids: string[]) {
  return (await stack.db.query(`SELECT id, width, height, mime FROM attachments WHERE id = ANY($1::uuid[])`, [ids])).rows as
    Array<{ id: string; width: number; height: number; mime: string }>;
}

describe('/grid: the grid worker reports from the phone', () => {
  it('a report made on the page is stored with its photo (made smaller on the phone), and shows in 我的上报', async () => {
    const p = await phone();
    const description = `网格员页面上报 ${Date.now()}`;
    await report(p.page, description);
    const [event] = await waitFor('the event', async () => {
      const rows = await eventsByDescription(description);
      return rows.length ? rows : null;
    }, 15_000);
    expect(event!.username).toBe(USER);
    expect(event!.categoryCode).toBe(category.code);
    expect(event!.attachmentIds).toHaveLength(1);
    const [att] = await attachmentsOf(event!.attachmentIds);
    expect(att!.mime).toBe('image/jpeg');
    expect(Math.max(att!.width, att!.height)).toBe(1600);
    // the outbox is empty again, and the report is in 我的上报 with its status
    await p.page.waitForSelector('[data-testid=outbox]', { state: 'detached' });
    await p.page.click('[data-testid=tab-mine]');
    await waitForText(p.page, `[data-testid=my-reports] [data-id="${event!.id}"] [data-testid=event-status]`, (t) => t === '待受理');
    // the detail: the timeline and the photo through a signed link
    await p.page.click(`[data-testid=my-reports] [data-id="${event!.id}"] button`);
    await waitForText(p.page, '[data-testid=detail-code]', (t) => t === event!.code);
    await waitForText(p.page, '[data-testid=timeline]', (t) => t.includes('上报'));
    await p.page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('[data-testid=detail-photos] img');
      return !!img && img.complete && img.naturalWidth > 0 && img.src.includes('/api/v1/attachments/media/');
    }, undefined, { timeout: 10_000 });
    expect(p.external()).toEqual([]);
    await p.context.close();
  });

  it('a report made offline is kept, survives a reload while offline, and is sent once and only once when back online', async () => {
    const p = await phone();
    const posts = reportPosts(p.page);
    const description = `离线上报 ${Date.now()}`;
    await p.context.setOffline(true);
    await waitForText(p.page, '[data-testid=net-state]', (t) => t === '离线');
    await report(p.page, description);
    await waitForText(p.page, '[data-testid=outbox-count]', (t) => t === '1');
    await waitForText(p.page, '[data-testid=outbox] header', (t) => t.includes('离线'));

    // reloaded while offline: the service worker serves the page, IndexedDB still holds the report and its photo
    const res = await p.page.reload();
    expect(res?.fromServiceWorker()).toBe(true);
    await p.page.waitForSelector('html[data-ready="1"]');
    await waitForText(p.page, '[data-testid=outbox-count]', (t) => t === '1');
    await p.page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('[data-testid=outbox-item] img');
      return !!img && img.complete && img.naturalWidth > 0;
    }, undefined, { timeout: 5_000 });
    expect(await eventsByDescription(description)).toHaveLength(0);

    await p.context.setOffline(false);
    const [event] = await waitFor('the event sent after reconnecting', async () => {
      const rows = await eventsByDescription(description);
      return rows.length ? rows : null;
    }, 20_000);
    await p.page.waitForSelector('[data-testid=outbox]', { state: 'detached', timeout: 15_000 });
    expect(await eventsByDescription(description)).toHaveLength(1);
    expect(event!.attachmentIds).toHaveLength(1);
    expect(posts.get(event!.id)).toBe(1);
    // the photo was uploaded once: no other photo of this user is left without an event
    const orphans = (await stack.db.query(
      `SELECT count(*)::int AS n FROM attachments a JOIN users u ON u.id = a.uploader_id
        WHERE u.username = $1 AND NOT EXISTS (SELECT 1 FROM events e WHERE a.id = ANY(e.attachment_ids))`, [USER])).rows[0].n;
    expect(orphans).toBe(0);
    // a further reason to send (the timer, another 'online') finds nothing left to send
    await p.page.evaluate(() => window.dispatchEvent(new Event('online')));
    await p.page.click('[data-testid=tab-mine]');
    await p.page.waitForSelector(`[data-testid=my-reports] [data-id="${event!.id}"]`, { timeout: 10_000 });
    expect(posts.get(event!.id)).toBe(1);
    expect(await eventsByDescription(description)).toHaveLength(1);
    expect(p.external()).toEqual([]);
    await p.context.close();
  });

  it('a definitive refusal (a place outside the county) is shown with the reason, not sent again, and fixed or discarded by the user', async () => {
    const p = await phone({ latitude: 31.2304, longitude: 121.4737 }); // 上海: outside 安吉县
    const posts = reportPosts(p.page);
    const refused = `县外位置 ${Date.now()}`;
    await report(p.page, refused);
    const reason = await waitForText(p.page, '[data-testid=outbox-error]', (t) => t.length > 0, 15_000);
    expect(reason).toContain('422');
    expect(reason).toContain('位置');
    const [refusedId] = [...posts.keys()];
    expect(posts.get(refusedId!)).toBe(1);

    // a later report from inside the county goes through: the sender has passed the refused one without resending it
    await p.context.setGeolocation(inside);
    await p.page.click('[data-testid=locate]');
    await waitForText(p.page, '[data-testid=place-name]', (t) => t.length > 0);
    const fine = `县内位置 ${Date.now()}`;
    await report(p.page, fine);
    await waitFor('the later report', async () => ((await eventsByDescription(fine)).length ? true : null), 15_000);
    await p.page.evaluate(() => window.dispatchEvent(new Event('online')));
    await waitForText(p.page, '[data-testid=outbox-count]', (t) => t === '1');
    expect(posts.get(refusedId!)).toBe(1);
    expect(await eventsByDescription(refused)).toHaveLength(0);

    // 修改: back into the form, placed again (now inside the county), sent with the same id and stored
    await p.page.click('[data-testid=outbox-item] .primary');
    await p.page.click('[data-testid=locate]');
    await waitForText(p.page, '[data-testid=place-name]', (t) => t.length > 0);
    expect(await p.page.inputValue('textarea[name=description]')).toBe(refused);
    await p.page.click('[data-testid=submit]');
    const [fixed] = await waitFor('the fixed report', async () => {
      const rows = await eventsByDescription(refused);
      return rows.length ? rows : null;
    }, 15_000);
    expect(fixed!.id).toBe(refusedId);
    expect(fixed!.attachmentIds).toHaveLength(1);
    expect(posts.get(refusedId!)).toBe(2);
    await p.page.waitForSelector('[data-testid=outbox]', { state: 'detached' });

    // 删除: another refused report discarded by the user leaves the outbox and is never sent again
    await p.context.setGeolocation({ latitude: 31.2304, longitude: 121.4737 });
    await p.page.click('[data-testid=locate]');
    await waitForText(p.page, '.warn', (t) => t.includes('不在本县'));
    const dropped = `放弃的上报 ${Date.now()}`;
    await report(p.page, dropped);
    await waitForText(p.page, '[data-testid=outbox-error]', (t) => t.includes('422'), 15_000);
    await p.page.click('[data-testid=outbox-item] .danger');
    await p.page.click('.van-dialog__confirm');
    await p.page.waitForSelector('[data-testid=outbox]', { state: 'detached' });
    expect(await eventsByDescription(dropped)).toHaveLength(0);
    expect(p.external()).toEqual([]);
    await p.context.close();
  });

  it('shows open events of the same 小类 nearby before sending (possible duplicates)', async () => {
    const gw = await apiAs(USER);
    const earlier = await gw<{ code: string }>('/events', {
      id: newId(), categoryCode: category.code, description: '早前上报的同类事件',
      location: { lng: inside.longitude + 0.0005, lat: inside.latitude }, urgency: 'normal',
    });
    expect(earlier.status).toBe(201);
    const p = await phone();
    await p.page.click('[data-testid=pick-category]');
    await p.page.click(`[data-testid=category-picker] [data-major="${category.major}"]`);
    await p.page.click(`[data-testid=category-picker] .minor[data-code="${category.code}"]`);
    const text = await waitForText(p.page, '[data-testid=nearby]', (t) => t.includes(earlier.body.code));
    expect(text).toContain('可能重复');
    expect(text).toContain('待受理');
    expect(p.external()).toEqual([]);
    await p.context.close();
  });

  it('已就地处置 with an after photo goes to 待核查; the township 核查 arrives live; the closed report is rated from 待办', async () => {
    const p = await phone();
    const description = `就地处置 ${Date.now()}`;
    await p.page.click('[data-testid=resolved-on-site]');
    await p.page.setInputFiles('[data-testid=photo-after] input', { name: 'after.jpg', mimeType: 'image/jpeg', buffer: photo });
    await report(p.page, description);
    const [event] = await waitFor('the event', async () => {
      const rows = await eventsByDescription(description);
      return rows.length ? rows : null;
    }, 15_000);
    expect(event!.status).toBe('handled');
    expect(event!.attachmentIds).toHaveLength(2);
    await p.page.click('[data-testid=tab-mine]');
    const item = `[data-testid=my-reports] [data-id="${event!.id}"] [data-testid=event-status]`;
    await waitForText(p.page, item, (t) => t === '待核查');

    // the township verifies on its own screen: the phone shows 已结案 without a reload, and 评价 in 待办
    const township = await apiAs('tw.330523001');
    const verified = await township(`/events/${event!.id}/actions`, { type: 'verify', pass: true });
    expect(verified.status).toBe(201);
    await waitForText(p.page, item, (t) => t === '已结案', 5_000);
    await p.page.click('[data-testid=tab-tasks]');
    await p.page.click(`[data-testid=tasks] [data-id="${event!.id}"] button`);
    await p.page.waitForSelector('[data-testid=rate]');
    await p.page.click('[data-testid=rate] .van-rate__item >> nth=4');
    await p.page.click('[data-testid=rate] button.act');
    await waitFor('the rating', async () => {
      const r = (await stack.db.query(`SELECT rating FROM events WHERE id = $1`, [event!.id])).rows[0];
      return r.rating === 5 ? true : null;
    }, 10_000);
    await p.page.waitForSelector('[data-testid=rate]', { state: 'detached' });
    expect(p.external()).toEqual([]);
    await p.context.close();
  });

  it('two tabs of the same phone send an offline report once: one sender at a time (Web Lock)', async () => {
    const p = await phone();
    const second = await p.context.newPage();
    await second.goto(`${stack.url}/grid/`);
    await second.waitForSelector('html[data-ready="1"]');
    const posts = reportPosts(p.page);
    const uploads: string[] = [];
    // photos stored by the server (an attempt while offline never arrives)
    p.context.on('response', (r) => {
      if (r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/attachments' && r.status() === 201) uploads.push(r.url());
    });
    // the network of both tabs by CDP (Playwright's setOffline would reset the latency set below)
    const cdps = await Promise.all([p.page, second].map((page) => p.context.newCDPSession(page)));
    const network = (offline: boolean, latency: number) => Promise.all(cdps.map((cdp) =>
      cdp.send('Network.emulateNetworkConditions', { offline, latency, downloadThroughput: -1, uploadThroughput: -1 })));
    await network(true, 0);
    const description = `两个标签页 ${Date.now()}`;
    await report(p.page, description);
    // the other tab hears of it and lists it as waiting too
    await waitForText(second, '[data-testid=outbox-count]', (t) => t === '1');
    // back on a slow network (each request takes 600 ms or more): both tabs are still sending when the other starts,
    // unless one waits for the other
    await network(false, 600);
    const [event] = await waitFor('the event', async () => {
      const rows = await eventsByDescription(description);
      return rows.length ? rows : null;
    }, 20_000);
    await second.waitForSelector('[data-testid=outbox]', { state: 'detached', timeout: 15_000 });
    await p.page.waitForSelector('[data-testid=outbox]', { state: 'detached', timeout: 15_000 });
    expect(posts.get(event!.id)).toBe(1);
    expect(uploads).toHaveLength(1);
    expect(p.external()).toEqual([]);
    await p.context.close();
  });
});
