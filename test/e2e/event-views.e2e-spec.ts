import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { actionsFor } from '#contracts';
import type { EventView } from '#contracts';
import { EventViews, EVENT_COLUMNS } from '#core';
import type { EventRow } from '#core';
import { newId, pointIn, startApi, waitFor } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

// Event views made for screens (issue 7): names beside codes, merge links, the due time on the wall clock, and the
// actions the caller may take — in every answer, the change feed's included.
const DIPU = '330523001';
const GRID = '330523001002001';
const GW = `gw.${GRID}`;
const TW = `tw.${DIPU}`;
const JG = `${DIPU}-JG`;
const H_JG = `h.${JG}`;

let api: ApiHarness;
beforeAll(async () => { api = await startApi('event_views'); });
afterAll(async () => { await api?.close(); });

async function report(user = GW): Promise<EventView> {
  const res = await (await api.as(user)).post('/events', {
    id: newId(), categoryCode: '0901', description: '路边暴露垃圾', location: await pointIn(api.db, GRID) });
  expect(res.status).toBe(201);
  return res.body;
}

async function act(user: string, id: string, body: Record<string, unknown>): Promise<EventView> {
  const res = await (await api.as(user)).post(`/events/${id}/actions`, body);
  if (res.status !== 201) throw new Error(`${user} ${body.type}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const get = async (user: string, id: string): Promise<EventView> => (await (await api.as(user)).get(`/events/${id}`)).body;

async function name(table: 'regions' | 'units' | 'categories', code: string): Promise<string> {
  return (await api.db.query(`SELECT name FROM ${table} WHERE code = $1`, [code])).rows[0].name;
}

describe('event views for screens', () => {
  it('print the category, regions, units and reporter by name beside their codes', async () => {
    const ev = await report();
    const reporter = (await api.db.query(`SELECT display_name FROM users WHERE username = $1`, [GW])).rows[0].display_name;
    expect(ev).toMatchObject({
      categoryName: await name('categories', '0901'),
      gridName: await name('regions', GRID),
      villageName: await name('regions', GRID.slice(0, 12)),
      townshipName: await name('regions', DIPU),
      ownerUnitName: await name('units', ev.ownerUnitCode),
      centreUnitName: await name('units', ev.centreUnitCode),
      handlerUnitName: null,
      reporterName: reporter,
      demo: false,
    });
    expect(ev.categoryGroupName).toEqual(expect.any(String));
    const dispatched = await act(TW, (await act(TW, ev.id, { type: 'accept' })).id, { type: 'dispatch', unitCode: JG });
    expect(dispatched.handlerUnitName).toBe(await name('units', JG));
    expect((await get(TW, ev.id)).handlerUnitName).toBe(await name('units', JG));
  });

  it('show the due time on the Asia/Shanghai wall clock beside the instant', async () => {
    const ev = await report();
    expect(ev.stageDueAt).not.toBeNull();
    const due = new Date(new Date(ev.stageDueAt!).getTime() + 8 * 3600_000).toISOString();
    expect(ev.stageDueLocal).toBe(`${due.slice(0, 10)} ${due.slice(11, 16)}`);
  });

  it('give each caller the actions they may take now', async () => {
    const ev = await report();
    expect((await get(TW, ev.id)).allowedActions).toEqual(expect.arrayContaining(['accept', 'reject', 'merge', 'escalate']));
    expect((await get(GW, ev.id)).allowedActions).toEqual([]);
    await act(TW, ev.id, { type: 'accept' });
    const dispatched = await act(TW, ev.id, { type: 'dispatch', unitCode: JG });
    expect(dispatched.allowedActions).not.toContain('sign');
    const asHandler = await get(H_JG, ev.id);
    expect(asHandler.allowedActions).toEqual(expect.arrayContaining(['sign', 'return']));
    expect(asHandler.allowedActions).not.toContain('accept');
    // the list is what the API then accepts: the handler signs, the dispatcher may no longer dispatch
    await act(H_JG, ev.id, { type: 'sign' });
    const res = await (await api.as(TW)).post(`/events/${ev.id}/actions`, { type: 'dispatch', unitCode: JG });
    expect(res.status).toBe(409);
  });

  it('grants for live screens give each user exactly the API\'s allowedActions', async () => {
    const ev = await report();
    await act(TW, ev.id, { type: 'accept' });
    await act(TW, ev.id, { type: 'dispatch', unitCode: JG });
    const views = api.app.get(EventViews);
    const row = (await api.db.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events e WHERE e.id = $1`, [ev.id])).rows[0]!;
    const [live] = await views.forLive([row]);
    expect(live).not.toHaveProperty('allowedActions');
    // a dispatcher, a reporter, the handler, the county, and a handler of another unit of the township (no view: 404)
    const compared: string[] = [];
    for (const username of [TW, GW, H_JG, 'county.op', 'county.lead', `h.${DIPU}-ZZ`]) {
      const user = (await api.db.query(`SELECT id, role, unit_code AS "unitCode" FROM users WHERE username = $1`, [username])).rows[0];
      expect({ username, exists: user !== undefined }).toEqual({ username, exists: true });
      const res = await (await api.as(username)).get(`/events/${ev.id}`);
      if (res.status === 404) continue; // outside their jurisdiction: no view at all
      expect({ username, actions: actionsFor(live!, user) }).toEqual({ username, actions: res.body.allowedActions });
      compared.push(username);
    }
    expect(compared).toEqual([TW, GW, H_JG, 'county.op', 'county.lead']);
  });

  it('link a merged event to its master and list the duplicates on the master', async () => {
    const master = await report();
    const dupA = await report();
    const dupB = await report();
    await act(TW, dupA.id, { type: 'merge', targetEventId: master.id });
    const merged = await act(TW, dupB.id, { type: 'merge', targetEventId: master.id });
    expect(merged).toMatchObject({ mergedIntoId: master.id, mergedIntoCode: master.code });
    expect((await get(TW, master.id)).duplicates).toEqual([{ id: dupA.id, code: dupA.code }, { id: dupB.id, code: dupB.code }]);
    const list = (await (await api.as(TW)).get(`/events?limit=100`)).body.items as EventView[];
    expect(list.find((e) => e.id === master.id)?.duplicates).toHaveLength(2);
  });

  it('show a renamed unit by its new name on the next read (reference data edits bump the reference version)', async () => {
    const ev = await report();
    await api.db.query(`UPDATE units SET name = '递铺街道综合指挥室（新）' WHERE code = $1`, [ev.centreUnitCode]);
    await api.db.query(`UPDATE settings_versions SET version = version + 1 WHERE name = 'reference'`);
    expect((await get(TW, ev.id)).centreUnitName).toBe('递铺街道综合指挥室（新）');
  });

  it('the change feed carries the same views', async () => {
    const head = (await (await api.as(TW)).get('/changes')).body.nextCursor;
    const ev = await report();
    // the feed shows a change once every older transaction has ended, cluster-wide: wait for it with a deadline
    const change = await waitFor('the report in the change feed', async () => {
      const page = (await (await api.as(TW)).get(`/changes?after=${head}&limit=50`)).body;
      return page.items.find((c: { event: EventView }) => c.event.id === ev.id);
    });
    expect(change.event).toMatchObject({ categoryName: ev.categoryName, townshipName: ev.townshipName, reporterName: ev.reporterName });
    expect(change.event.allowedActions).toEqual(expect.arrayContaining(['accept']));
  });
});
