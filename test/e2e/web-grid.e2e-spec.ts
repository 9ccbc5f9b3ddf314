import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import sharp from 'sharp';
import type { Page, Request } from 'playwright-core';
import { waitFor } from './support/harness.js';
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

  it('a definitive refusal (a place outside the county) is shown with the reason and not sent again', async () => {
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

    // discarded by the user: the outbox is empty
    await p.page.click('[data-testid=outbox-item] .danger');
    await p.page.click('.van-dialog__confirm');
    await p.page.waitForSelector('[data-testid=outbox]', { state: 'detached' });
    expect(p.external()).toEqual([]);
    await p.context.close();
  });
});
