import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addWorkingMinutes, isWorkingDay, localDate, makeCalendar } from '#domain';
import type { CalendarDay } from '#domain';
import { newId, pointIn, rowCounts, startApi } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

// An admin edits SLA rules per category and urgency, and the holiday calendar, through the API; changes apply to
// events from then on (running stages keep their deadlines).
const GRID = '330523001002001';
let api: ApiHarness;
beforeAll(async () => { api = await startApi('sla_admin'); });
afterAll(async () => { await api?.close(); });

const as = (username: string) => api.as(username);
async function report(categoryCode = '0901') {
  const res = await (await as(`gw.${GRID}`)).post('/events', { id: newId(), categoryCode, description: '测试时限', location: await pointIn(api.db, GRID) });
  expect(res.status).toBe(201);
  return res.body as { id: string; createdAt: string; stageDueAt: string; stageYellowAt: string; slaBasis: string };
}
async function calendar() {
  const res = await (await as('admin')).get('/admin/calendar');
  expect(res.status).toBe(200);
  return makeCalendar(res.body.items as CalendarDay[]);
}
const rule = (minutes: number) => ({ categoryCode: '0901', urgency: 'normal', basis: 'working', acceptMinutes: minutes, signMinutes: 120,
  handleMinutes: 1350, verifyMinutes: 450, yellowRatio: 0.8, escalateGraceMinutes: 30 });

describe('admin edits of time limits and the calendar', () => {
  it('only an admin may edit, and bad rules are refused naming the field', async () => {
    const counts = (await api.db.query(`SELECT count(*)::int AS n FROM sla_rules`)).rows[0].n;
    const denied = await (await as('county.op')).put('/admin/sla-rules', rule(900));
    expect(denied.status).toBe(403);
    const bad = await (await as('admin')).put('/admin/sla-rules', { ...rule(900), acceptMinutes: -5 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toContain('acceptMinutes');
    const unknown = await (await as('admin')).put('/admin/sla-rules', { ...rule(900), categoryCode: '0998' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0].field).toBe('categoryCode');
    expect((await api.db.query(`SELECT count(*)::int AS n FROM sla_rules`)).rows[0].n).toBe(counts);
    expect((await (await as('tw.330523001')).put('/admin/calendar/2026-12-01', { kind: 'holiday', name: 'x' })).status).toBe(403);
  });

  it('a category rule applies to events reported afterwards, in working time; earlier events keep their due time', async () => {
    const before = await report();
    const cal = await calendar();
    // the county default: 120 working minutes to accept
    expect(Date.parse(before.stageDueAt)).toBe(addWorkingMinutes(cal, new Date(before.createdAt), 120).getTime());
    expect(before.slaBasis).toBe('working');
    const res = await (await as('admin')).put('/admin/sla-rules', rule(900));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ categoryCode: '0901', acceptMinutes: 900 });
    const after = await report();
    expect(Date.parse(after.stageDueAt)).toBe(addWorkingMinutes(cal, new Date(after.createdAt), 900).getTime());
    expect(Date.parse(after.stageYellowAt)).toBe(addWorkingMinutes(cal, new Date(after.createdAt), 720).getTime());
    // other categories still use the default
    const other = await report('0201');
    expect(Date.parse(other.stageDueAt)).toBe(addWorkingMinutes(cal, new Date(other.createdAt), 120).getTime());
    // the earlier event is unchanged
    const again = await (await as('tw.330523001')).get(`/events/${before.id}`);
    expect(again.body.stageDueAt).toBe(before.stageDueAt);
    const list = await (await as('admin')).get('/admin/sla-rules');
    expect(list.body.items.some((r: { categoryCode: string | null; acceptMinutes: number }) => r.categoryCode === '0901' && r.acceptMinutes === 900)).toBe(true);
  });

  it('holidays added by the admin push the due times of new events past them', async () => {
    const cal = await calendar();
    const first = await report();
    // declare the next three working days holidays (从明天起三个工作日放假)
    const days: string[] = [];
    let t = new Date(Date.now() + 86400_000);
    while (days.length < 3) {
      const d = localDate(cal, t);
      if (isWorkingDay(cal, d)) days.push(d);
      t = new Date(t.getTime() + 86400_000);
    }
    for (const d of days) {
      const res = await (await as('admin')).put(`/admin/calendar/${d}`, { kind: 'holiday', name: '临时放假' });
      expect(res.status).toBe(200);
    }
    const edited = await calendar();
    for (const d of days) expect(isWorkingDay(edited, d)).toBe(false);
    const second = await report();
    const expected = addWorkingMinutes(edited, new Date(second.createdAt), 900);
    expect(Date.parse(second.stageDueAt)).toBe(expected.getTime());
    expect(Date.parse(second.stageDueAt) - Date.parse(first.stageDueAt)).toBeGreaterThanOrEqual(3 * 86400_000 - 60_000);
    // undo one; unknown dates and bad dates are refused
    expect((await (await as('admin')).del(`/admin/calendar/${days[0]}`)).status).toBe(204);
    expect((await (await as('admin')).del('/admin/calendar/2031-07-15')).status).toBe(404);
    // a day outside the accepted range (2000–2100) is bad input, not an unknown day
    expect((await (await as('admin')).del('/admin/calendar/1999-01-01')).status).toBe(400);
    const badDate = await (await as('admin')).put('/admin/calendar/2026-13-45', { kind: 'holiday', name: 'x' });
    expect(badDate.status).toBe(400);
    const audit = await api.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'calendar.%' OR action = 'sla_rule.upsert'`);
    expect(audit.rows[0].n).toBeGreaterThanOrEqual(5);
    expect((await rowCounts(api.db)).events).toBe(5);
  });
});
