import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addWorkingMinutes, makeCalendar } from '#domain';
import type { CalendarDay, WorkCalendar } from '#domain';
import { newId, pointIn, startApi } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

// The complexity tier (复杂程度: 一般 / 复杂, DOMAIN §3.4) beside urgency: 受理 classifies the case, and from then on its
// stages (派遣, 签收, 处置 …) and its 整体时限 run under the rule of its tier; a tier without a rule of its own for the
// category takes the county default of the tier (seeded: 1 working day to dispatch and sign, 15 to handle).
const GRID = '330523001002001';
const TW = 'tw.330523001';
let api: ApiHarness;
let cal: WorkCalendar;
beforeAll(async () => {
  api = await startApi('complexity');
  const res = await (await api.as('admin')).get('/admin/calendar');
  cal = makeCalendar(res.body.items as CalendarDay[]);
});
afterAll(async () => { await api?.close(); });

interface Ev { id: string; version: number; status: string; stage: string; complexity: string; createdAt: string; stageStartedAt: string;
  stageDueAt: string; suggestedUnitCode: string | null }
async function report(categoryCode: string): Promise<Ev> {
  const res = await (await api.as(`gw.${GRID}`)).post('/events', { id: newId(), categoryCode, description: '复杂程度测试', location: await pointIn(api.db, GRID) });
  expect(res.status).toBe(201);
  return res.body as Ev;
}
async function act(id: string, body: Record<string, unknown>, user = TW) {
  return (await api.as(user)).post(`/events/${id}/actions`, body);
}
const dueAfter = (ev: Ev, minutes: number) => addWorkingMinutes(cal, new Date(ev.stageStartedAt), minutes).toISOString();
const overallDue = async (id: string) =>
  (await api.db.query(`SELECT overall_due_at AS at FROM event_facts WHERE event_id = $1`, [id])).rows[0].at as Date | null;

describe('complexity tier', () => {
  it('a new report is 一般; 受理 as 复杂 runs the 派遣 and 签收 stages under the 复杂 default, and the timeline keeps it', async () => {
    const plain = await report('0201');
    expect(plain.complexity).toBe('ordinary');
    const accepted = (await act(plain.id, { type: 'accept' })).body as Ev;
    expect(accepted).toMatchObject({ status: 'accepted', stage: 'dispatch', complexity: 'ordinary' });
    expect(accepted.stageDueAt).toBe(dueAfter(accepted, 120)); // 派遣 = the 受理 limit of the 一般 default

    const ev = await report('0201');
    const res = await act(ev.id, { type: 'accept', complexity: 'complex', expectedVersion: ev.version });
    expect(res.status).toBe(201);
    const cx = res.body as Ev;
    expect(cx).toMatchObject({ status: 'accepted', stage: 'dispatch', complexity: 'complex' });
    expect(cx.stageDueAt).toBe(dueAfter(cx, 450));
    const dispatched = (await act(cx.id, { type: 'dispatch', unitCode: cx.suggestedUnitCode })).body as Ev;
    expect(dispatched).toMatchObject({ status: 'dispatched', stage: 'sign', complexity: 'complex' });
    expect(dispatched.stageDueAt).toBe(dueAfter(dispatched, 450));
    const detail = await (await api.as(TW)).get(`/events/${ev.id}`);
    const acceptRow = detail.body.timeline.find((t: { type: string }) => t.type === 'accept');
    expect(acceptRow.data).toEqual({ complexity: 'complex' });
    expect((await api.db.query(`SELECT complexity FROM events WHERE id = $1`, [ev.id])).rows[0].complexity).toBe('complex');
  });

  it('a bad tier is refused naming the field, and nothing changes', async () => {
    const ev = await report('0201');
    const before = (await api.db.query(`SELECT version, status, complexity FROM events WHERE id = $1`, [ev.id])).rows[0];
    const actions = (await api.db.query(`SELECT count(*)::int AS n FROM event_actions WHERE event_id = $1`, [ev.id])).rows[0].n;
    for (const complexity of ['hard', '', 3, null]) {
      const res = await act(ev.id, { type: 'accept', complexity });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('complexity');
    }
    expect((await api.db.query(`SELECT version, status, complexity FROM events WHERE id = $1`, [ev.id])).rows[0]).toEqual(before);
    expect((await api.db.query(`SELECT count(*)::int AS n FROM event_actions WHERE event_id = $1`, [ev.id])).rows[0].n).toBe(actions);
  });

  it('a category rule of the tier wins over the tier default; the admin lists and edits rules per tier; 整体时限 follows the tier', async () => {
    // 0901 has a seeded 一般 rule of its own (4 working hours to handle) but no 复杂 one: the 复杂 default applies
    const a = await report('0901');
    const a1 = (await act(a.id, { type: 'accept', complexity: 'complex' })).body as Ev;
    expect(a1.stageDueAt).toBe(dueAfter(a1, 450));

    const admin = await api.as('admin');
    const put = await admin.put('/admin/sla-rules', { categoryCode: '0901', urgency: 'normal', complexity: 'complex', basis: 'working',
      acceptMinutes: 200, dispatchMinutes: 300, signMinutes: 200, handleMinutes: 2000, verifyMinutes: 450, overallMinutes: 9000 });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ categoryCode: '0901', complexity: 'complex', dispatchMinutes: 300, overallMinutes: 9000 });
    const rules = (await admin.get('/admin/sla-rules')).body.items as { categoryCode: string | null; urgency: string; complexity: string; handleMinutes: number }[];
    const of0901 = rules.filter((r) => r.categoryCode === '0901' && r.urgency === 'normal');
    expect(of0901.map((r) => [r.complexity, r.handleMinutes]).sort()).toEqual([['complex', 2000], ['ordinary', 240]]);
    expect(rules.some((r) => r.categoryCode === null && r.urgency === 'normal' && r.complexity === 'complex')).toBe(true);
    expect((await admin.put('/admin/sla-rules', { categoryCode: '0901', urgency: 'normal', complexity: 'simple', basis: 'working',
      acceptMinutes: 1, signMinutes: 1, handleMinutes: 1, verifyMinutes: 1 })).body.errors[0].field).toBe('complexity');

    const b = await report('0901');
    expect(await overallDue(b.id)).toBeNull(); // the 一般 rule of 0901 sets no 整体时限
    const b1 = (await act(b.id, { type: 'accept', complexity: 'complex' })).body as Ev;
    expect(b1.stageDueAt).toBe(dueAfter(b1, 300));
    expect((await overallDue(b.id))?.toISOString()).toBe(addWorkingMinutes(cal, new Date(b.createdAt), 9000).toISOString());
    // an event accepted before the edit keeps its deadline
    expect((await (await api.as(TW)).get(`/events/${a.id}`)).body.stageDueAt).toBe(a1.stageDueAt);
  });
});
