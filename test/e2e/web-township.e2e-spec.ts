import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import sharp from 'sharp';
import { startWebStack } from './support/browser.js';
import type { Page } from 'playwright-core';
import type { Person, WebStack } from './support/browser.js';
import { actOnConsole as act, consoleReady, consoleShows as shows, inQueue, openOnConsole as select } from './support/pages.js';
import { DEMO_PASSWORD, newId, pointIn, waitFor } from './support/harness.js';

jest.setTimeout(120_000);

// Issue 9, the township dispatch console (/township) in Chromium at 1600×900, against the built API and worker: a report
// reaches its township's dispatcher live (and no other township's), and the loop 受理 → 派遣 → 签收 → 反馈 → 核查 runs
// through the page, the dispatcher's and the handler's, showing exactly the actions the API allows at every step.

const TOWNSHIP = '330523001'; // 递铺街道
const GRID = '330523001002001'; // 苕秀社区 第1网格
const OTHER_TOWNSHIP = '330523105'; // 孝丰镇
const UNIT = '330523001-JG'; // 递铺街道 监管执法平台

interface Client {
  get: <T = Record<string, unknown>>(path: string) => Promise<T>;
  post: <T = Record<string, unknown>>(path: string, body: unknown) => Promise<{ status: number; body: T }>;
}

let stack: WebStack;
let tw: Person; // the dispatcher of 递铺街道
let other: Person; // the dispatcher of 孝丰镇
let handler: Person; // a handler of 递铺街道 监管执法平台
let twApi: Client;
let handlerApi: Client;
let gwApi: Client;
let eventId: string;
let otherEventId: string;

async function client(username: string): Promise<Client> {
  const res = await fetch(`${stack.url}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password: DEMO_PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status}`);
  const { accessToken } = (await res.json()) as { accessToken: string };
  const auth = { Authorization: `Bearer ${accessToken}` };
  return {
    get: async <T>(path: string) => {
      const r = await fetch(`${stack.url}/api/v1${path}`, { headers: auth });
      if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
      return (await r.json()) as T;
    },
    post: async <T>(path: string, body: unknown) => {
      const r = await fetch(`${stack.url}/api/v1${path}`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as T };
    },
  };
}

async function report(api: Client, grid: string, description: string): Promise<string> {
  const id = newId();
  const res = await api.post('/events', { id, categoryCode: '0901', description, location: await pointIn(stack.db, grid) });
  expect(res.status).toBe(201);
  return id;
}

/** The console is up and its /live connection is established. */
async function openConsole(username: string): Promise<Person> {
  const p = await stack.person();
  await p.login(username);
  expect(new URL(p.page.url()).pathname).toBe('/township/');
  await consoleReady(p);
  return p;
}

/** The note field of the open action dialog. */
const NOTE = '[data-test=action-dialog] textarea[data-test=action-note]';
/** The panel shows `status` at the API's current version, and its action buttons are exactly the allowedActions. */
async function expectPanel(p: Person, api: Client, id: string, status: string): Promise<void> {
  const panel = p.page.locator(`[data-test=event-panel][data-id="${id}"]`);
  const event = await waitFor(`panel at ${status}`, async () => {
    const e = await api.get<{ status: string; version: number; allowedActions: string[] }>(`/events/${id}`);
    const shown = await panel.getAttribute('data-version', { timeout: 1000 }).catch(() => null);
    const shownStatus = await panel.getAttribute('data-status', { timeout: 1000 }).catch(() => null);
    return e.status === status && shownStatus === status && shown === String(e.version) ? e : null;
  }, 10_000);
  const buttons = await panel.locator('[data-test=actions] button[data-action]').evaluateAll(
    (els) => els.map((el) => el.getAttribute('data-action')));
  expect(buttons.sort()).toEqual([...event.allowedActions].sort());
  // none allowed: the panel says so rather than showing an empty row
  expect(await panel.locator('[data-test=no-actions]').count()).toBe(event.allowedActions.length ? 0 : 1);
}

/**
 * Clicks the map's bubbles (each zooms into its village or cell) until the event shows as a single marker. A click that
 * lands while the map is still settling is tried again (at most 3 times a step), as a user would.
 */
async function zoomToEvent(page: Page, id: string): Promise<void> {
  const map = page.locator('[data-test=map]');
  const marker = page.locator(`[data-test=map-event][data-id="${id}"]`);
  for (let step = 0; step < 5; step++) {
    const found = await waitFor('map features', async () => {
      if (await marker.count()) return 'event';
      return (await page.locator('[data-test=map-cluster]').count()) ? 'cluster' : null;
    }, 10_000);
    if (found === 'event') return;
    const zoom = await map.getAttribute('data-zoom');
    for (let attempt = 0; ; attempt++) {
      await page.locator('[data-test=map-cluster]').first().click();
      const zoomed = await waitFor('the map zoomed in', async () => (await map.getAttribute('data-zoom')) !== zoom, 3000).catch(() => false);
      if (zoomed) break;
      if (attempt === 2) throw new Error(`three clicks on a map bubble did not zoom the map (zoom ${zoom})`);
    }
  }
  await marker.waitFor({ timeout: 10_000 });
}


beforeAll(async () => {
  stack = await startWebStack('web_township');
  [twApi, handlerApi, gwApi] = await Promise.all([client(`tw.${TOWNSHIP}`), client(`h.${UNIT}`), client(`gw.${GRID}`)]);
  tw = await openConsole(`tw.${TOWNSHIP}`);
  other = await openConsole(`tw.${OTHER_TOWNSHIP}`);
  handler = await openConsole(`h.${UNIT}`);
});
afterAll(async () => {
  await stack?.close();
});

describe('/township', () => {
  it('a report appears for its township\'s dispatcher within 2 s without a reload, and not for another township\'s', async () => {
    await tw.page.evaluate(() => { (window as unknown as { notReloaded: boolean }).notReloaded = true; });
    eventId = await report(gwApi, GRID, '苕秀社区文化广场东侧垃圾堆积，影响通行');
    await waitFor('the report on the dispatcher\'s console', async () => shows(tw, eventId), 2000, 20);
    expect(await tw.page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);

    // a later report in 孝丰镇 reaches its dispatcher: changes arrive in feed order, so the 递铺 report would have come first
    const otherGrid = (await stack.db.query<{ code: string }>(
      `SELECT code FROM regions WHERE level = 'grid' AND code LIKE $1 || '%' ORDER BY code LIMIT 1`, [OTHER_TOWNSHIP])).rows[0].code;
    otherEventId = await report(await client(`gw.${otherGrid}`), otherGrid, '孝丰镇老街路口垃圾桶满溢');
    await waitFor('the 孝丰 report on the 孝丰 console', async () => shows(other, otherEventId), 2000, 20);
    expect(await shows(other, eventId)).toBe(false);
    expect(await other.page.getAttribute('[data-test=new-events]', 'data-count')).toBe('1');
  });

  it('the map draws the township\'s village and grid boundaries and its events; a click on the map opens the event', async () => {
    const map = tw.page.locator('[data-test=map]');
    // the base layer is the region polygons (no tile layer is configured): the township's villages at least
    const villages = await stack.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM regions WHERE level = 'village' AND code LIKE $1 || '%'`, [TOWNSHIP]);
    await waitFor('village boundaries', async () => (await tw.page.locator('path.tw-boundary--village').count()) === villages.rows[0].n, 10_000);
    expect(await tw.page.locator('path.tw-boundary--grid').count()).toBe(0); // grids only when zoomed in
    expect(await tw.page.locator('.leaflet-tile').count()).toBe(0);
    // the new report is counted by the server's clusters, then found as a single event after zooming into its bubble
    await waitFor('the report counted on the map', async () => Number(await map.getAttribute('data-total')) >= 1, 10_000);
    await zoomToEvent(tw.page, eventId);
    // zoomed in (≥ 14), the grid (网格) boundaries join the villages'
    const grids = await stack.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM regions WHERE level = 'grid' AND parent_code = $1`, [GRID.slice(0, 12)]);
    expect(grids.rows[0].n).toBeGreaterThan(0);
    await waitFor('the grid boundaries of the village in view', async () =>
      (await tw.page.locator('path.tw-boundary--grid').count()) >= grids.rows[0].n, 5000);
    await tw.page.locator(`[data-test=map-event][data-id="${eventId}"]`).click();
    await tw.page.locator(`[data-test=event-panel][data-id="${eventId}"]`).waitFor();

    // 地图副屏: the map opens in its own window; the desk gives up its map, and a click there opens the event at the desk
    const [popup] = await Promise.all([tw.context.waitForEvent('page'), tw.page.click('[data-test=open-map-window]')]);
    await popup.locator('[data-test=township-map-screen] [data-test=map]').waitFor();
    await map.waitFor({ state: 'detached' });
    await tw.page.click('[data-test=panel-close]');
    await zoomToEvent(popup, eventId);
    await popup.locator(`[data-test=map-event][data-id="${eventId}"]`).click();
    await tw.page.locator(`[data-test=event-panel][data-id="${eventId}"]`).waitFor();
    await popup.close();
    await tw.page.locator('[data-test=map]').waitFor();
  });

  it('the dispatcher 受理 then 派遣 to the platform through the page, shown exactly the allowed actions at each step', async () => {
    await select(tw, eventId);
    await expectPanel(tw, twApi, eventId, 'reported');
    expect(await tw.page.locator(`${inQueue(eventId)}`).getAttribute('data-status')).toBe('reported');

    await act(tw, 'accept');
    await expectPanel(tw, twApi, eventId, 'accepted');

    await act(tw, 'dispatch', async () => {
      await tw.page.click('[data-test=dispatch-unit]');
      await tw.page.click(`[data-test="unit-option-${UNIT}"]`);
      await tw.page.fill(NOTE, '请监管执法平台清理');
    });
    await expectPanel(tw, twApi, eventId, 'dispatched');
    const event = await twApi.get<{ handlerUnitCode: string }>(`/events/${eventId}`);
    expect(event.handlerUnitCode).toBe(UNIT);
    // the row changed in place: still in the list, no new-events bar for it
    expect(await tw.page.locator(inQueue(eventId)).getAttribute('data-status')).toBe('dispatched');
  });

  it('the handler sees the dispatched event live on /township, 签收 and 反馈 with a photo through the page', async () => {
    await waitFor('the dispatched event on the handler\'s console', async () => shows(handler, eventId), 10_000, 20);
    await select(handler, eventId);
    await expectPanel(handler, handlerApi, eventId, 'dispatched');

    await act(handler, 'sign');
    await expectPanel(handler, handlerApi, eventId, 'handling');

    const photo = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#3a7' } }).jpeg().toBuffer();
    await act(handler, 'feedback', async () => {
      await handler.page.fill(NOTE, '已清理完毕，现场恢复整洁');
      await handler.page.setInputFiles('[data-test=feedback-photos]', { name: 'after.jpg', mimeType: 'image/jpeg', buffer: photo });
      await handler.page.locator('[data-test=upload-item]').waitFor();
    });
    await expectPanel(handler, handlerApi, eventId, 'handled');
    const detail = await handlerApi.get<{ timeline: { type: string; attachmentIds: string[]; note: string | null }[] }>(`/events/${eventId}`);
    const feedback = detail.timeline.find((t) => t.type === 'feedback');
    expect(feedback?.note).toBe('已清理完毕，现场恢复整洁');
    expect(feedback?.attachmentIds).toHaveLength(1);
  });

  it('the dispatcher\'s open panel follows live, shows the photo, and 核查 通过 closes the event', async () => {
    // no click: the panel and the row follow the handler's changes
    await expectPanel(tw, twApi, eventId, 'handled');
    expect(await tw.page.locator(inQueue(eventId)).getAttribute('data-status')).toBe('handled');
    const detail = await twApi.get<{ photos: { id: string }[] }>(`/events/${eventId}`);
    expect(detail.photos).toHaveLength(1);
    const thumb = tw.page.locator(`[data-test=photo-thumb][data-id="${detail.photos[0].id}"] img`);
    await thumb.waitFor();
    await waitFor('the thumbnail loaded', async () => (await thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)), 5000);

    await act(tw, 'verify', async () => {
      await tw.page.click('[data-test=verify-pass-true]');
    });
    await expectPanel(tw, twApi, eventId, 'closed');
    const closed = await twApi.get<{ status: string; closedAt: string | null }>(`/events/${eventId}`);
    expect(closed.status).toBe('closed');
    expect(closed.closedAt).not.toBeNull();
  });

  it('an action on a version someone else changed meanwhile is refused (409), said so, and the panel shows the event as it is now', async () => {
    const id = await report(gwApi, GRID, '苕秀社区菜场门口乱堆杂物');
    await waitFor('the report on the console', async () => shows(tw, id), 10_000, 20);
    await select(tw, id);
    await expectPanel(tw, twApi, id, 'reported');
    await tw.page.click('[data-test=event-panel] [data-test=actions] button[data-action=accept]');
    await tw.page.locator('[data-test=action-dialog][data-action=accept]').waitFor();

    // someone else (the same command room, another desk) urges it while the dialog is open
    const urged = await twApi.post<{ version: number }>(`/events/${id}/actions`, { type: 'urge', note: '请尽快受理' });
    expect(urged.status).toBe(201);
    await tw.page.click('[data-test=action-dialog] [data-test=action-submit]');
    await tw.page.locator('[data-test=conflict]').waitFor();
    expect(await tw.page.locator('[data-test=conflict]').textContent()).toContain('他人');
    await expectPanel(tw, twApi, id, 'reported');
    expect(await tw.page.getAttribute('[data-test=event-panel]', 'data-version')).toBe(String(urged.body.version));
  });

  it('a second report of the same thing nearby is listed as a possible duplicate and merged (合并) from the panel', async () => {
    const first = await report(gwApi, GRID, '苕秀社区文化广场西侧垃圾堆积');
    const second = await report(gwApi, GRID, '文化广场西边有一堆垃圾没人清理');
    await waitFor('both reports on the console', async () => (await shows(tw, first)) && (await shows(tw, second)), 10_000, 20);
    await select(tw, second);
    const candidate = tw.page.locator(`[data-test=duplicates] [data-test=duplicate][data-id="${first}"]`);
    await candidate.waitFor();
    await candidate.locator('[data-test=merge-into]').click();
    await tw.page.locator('[data-test=action-dialog][data-action=merge]').waitFor();
    await tw.page.click('[data-test=action-dialog] [data-test=action-submit]');
    await expectPanel(tw, twApi, second, 'merged');
    const merged = await twApi.get<{ mergedIntoId: string }>(`/events/${second}`);
    expect(merged.mergedIntoId).toBe(first);
    const master = await twApi.get<{ duplicates: { id: string }[] }>(`/events/${first}`);
    expect(master.duplicates.map((d) => d.id)).toEqual([second]);
  });

  it('the handler asks for more time (延期申请) and the dispatcher grants it (延期审批) through the pages', async () => {
    const id = await report(gwApi, GRID, '苕秀社区停车场旁建筑垃圾需外运');
    for (const type of ['accept', 'dispatch']) {
      const current = await twApi.get<{ version: number }>(`/events/${id}`);
      const res = await twApi.post(`/events/${id}/actions`, { type, expectedVersion: current.version, ...(type === 'dispatch' ? { unitCode: UNIT } : {}) });
      expect(res.status).toBe(201);
    }
    expect((await handlerApi.post(`/events/${id}/actions`, { type: 'sign' })).status).toBe(201);
    await waitFor('the event on the handler\'s console', async () => shows(handler, id), 10_000, 20);
    await select(handler, id);
    await expectPanel(handler, handlerApi, id, 'handling');

    // a week from now, 17:30 on the Shanghai clock
    const until = new Date(Date.now() + 7 * 86400_000 + 8 * 3600_000).toISOString().slice(0, 10);
    await act(handler, 'request_extension', async () => {
      const input = handler.page.locator('[data-test=action-dialog] [data-test=extension-until] input');
      await input.fill(`${until} 17:30`);
      await input.press('Enter');
      await handler.page.fill('[data-test=action-dialog] textarea[data-test=action-reason]', '需协调渣土车外运，预计一周');
    });
    await expectPanel(handler, handlerApi, id, 'handling');
    const requested = await handlerApi.get<{ extensionRequestedUntil: string | null }>(`/events/${id}`);
    expect(requested.extensionRequestedUntil).toBe(new Date(`${until}T17:30:00+08:00`).toISOString());

    await waitFor('the request on the dispatcher\'s console', async () => shows(tw, id), 10_000, 20);
    await select(tw, id);
    await waitFor('延期审批 offered', async () => (await tw.page.locator('[data-test=actions] button[data-action=approve_extension]').count()) === 1, 10_000);
    await expectPanel(tw, twApi, id, 'handling');
    await act(tw, 'approve_extension');
    const granted = await twApi.get<{ extendedUntil: string | null; extensionRequestedUntil: string | null }>(`/events/${id}`);
    expect(granted.extendedUntil).toBe(requested.extensionRequestedUntil);
    expect(granted.extensionRequestedUntil).toBeNull();
    await expectPanel(tw, twApi, id, 'handling');
  });

  it('the counts per status match the list, and a count or the text filter narrows it', async () => {
    const open = await twApi.get<{ items: { id: string; code: string; status: string }[] }>('/events?status=reported,accepted,dispatched,handling,handled,suspended&limit=200');
    const byStatus = (s: string) => open.items.filter((e) => e.status === s).length;
    await waitFor('the open count', async () => (await tw.page.getAttribute('[data-test=count-open]', 'data-count')) === String(open.items.length), 5000);
    expect(await tw.page.getAttribute('[data-test=count-reported]', 'data-count')).toBe(String(byStatus('reported')));
    expect(await tw.page.getAttribute('[data-test=count-handling]', 'data-count')).toBe(String(byStatus('handling')));

    await tw.page.click('[data-test=count-reported]');
    const rows = tw.page.locator('[data-test=event-row]');
    await waitFor('only 待受理 rows', async () => (await rows.count()) === byStatus('reported'), 5000);
    expect(await rows.evaluateAll((els) => [...new Set(els.map((el) => el.getAttribute('data-status')))])).toEqual(['reported']);

    await tw.page.click('[data-test=count-open]');
    const one = open.items[0];
    await tw.page.fill('[data-test=filters] input[data-test=filter-q], [data-test=filters] [data-test=filter-q] input', one.code);
    await waitFor('the one event with that code', async () => (await rows.count()) === 1, 5000);
    expect(await rows.first().getAttribute('data-id')).toBe(one.id);
    await tw.page.click('[data-test=filter-reset]');
    await waitFor('the whole list again', async () => (await rows.count()) === open.items.length, 5000);
  });

  it('shows the connection state, and a report made while the network was down arrives once it is back, without a reload', async () => {
    const state = tw.page.locator('[data-test=live-state]');
    const before = await tw.page.textContent('[data-test=last-update]');
    await tw.context.setOffline(true);
    await tw.page.locator('[data-test=live-state][data-state=offline]').waitFor({ timeout: 10_000 });
    expect(await state.textContent()).toContain('已断开');
    const id = await report(gwApi, GRID, '苕秀社区公厕门口垃圾桶倾倒');
    expect(await shows(tw, id)).toBe(false);
    await tw.context.setOffline(false);
    await tw.page.locator('[data-test=live-state][data-state=live]').waitFor({ timeout: 15_000 });
    expect(await state.textContent()).toContain('实时');
    await waitFor('the report made while offline', async () => shows(tw, id), 10_000, 20);
    expect(await tw.page.textContent('[data-test=last-update]')).not.toBe(before);
    expect(await tw.page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  });

  it('no page asked any other host for anything, and the dispatcher never saw the other township\'s report', async () => {
    expect(await shows(tw, otherEventId)).toBe(false);
    for (const p of [tw, other, handler]) expect(p.external()).toEqual([]);
    expect(tw.requests.length).toBeGreaterThan(0);
  });
});
