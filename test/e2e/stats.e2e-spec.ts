import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ExcelJS from 'exceljs';
import { newId, pointIn, startApi, waitFor } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

// Issue 8, outcome 1 (in part): a scenario with second-scale limits and hand-computed figures for a township, a
// department and the county; outcome 4: the xlsx export read back equals the API; later rule and calendar edits change
// no past figure. Category 0901 (暴露垃圾) gets 10-minute limits (always on time here), 0902 (积存垃圾渣土) 3-second
// limits: its events are made late by waiting for the due time (a condition, not a sleep).
const DIPU = '330523001';
const XF = '330523105';
const GRID = '330523001002001';
const XF_GRID = '330523105003001';
const GW = `gw.${GRID}`;
const TW = `tw.${DIPU}`;
const JG = `${DIPU}-JG`;
const ZZ = `${DIPU}-ZZ`;

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi('stats');
  const admin = await api.as('admin');
  for (const [categoryCode, minutes] of [['0901', 10], ['0902', 0.05]] as const) {
    const res = await admin.put('/admin/sla-rules', { categoryCode, urgency: 'urgent', basis: 'natural', acceptMinutes: minutes,
      dispatchMinutes: minutes, signMinutes: minutes, handleMinutes: minutes, verifyMinutes: minutes });
    expect(res.status).toBe(200);
  }
});
afterAll(async () => { await api?.close(); });

const as = (u: string) => api.as(u);
async function report(categoryCode: string, extra: Record<string, unknown> = {}, grid = GRID, user = GW) {
  const res = await (await as(user)).post('/events', { id: newId(), categoryCode, description: '统计场景事件', urgency: 'urgent',
    location: await pointIn(api.db, grid), ...extra });
  expect(res.status).toBe(201);
  return res.body as { id: string; stageDueAt: string };
}
async function act(user: string, id: string, body: Record<string, unknown>) {
  const res = await (await as(user)).post(`/events/${id}/actions`, body);
  if (res.status !== 201) throw new Error(`${user} ${body.type}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { stageDueAt: string | null };
}
/** Waits until the current stage is overdue (the next action ends it late). */
async function pastDue(e: { stageDueAt: string | null }) {
  const due = Date.parse(e.stageDueAt!);
  await waitFor('stage overdue', async () => Date.now() > due + 50);
}
async function photo(user: string): Promise<string> {
  const sharp = (await import('sharp')).default;
  const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 9, g: 99, b: 9 } } }).png().toBuffer();
  return (await (await as(user)).upload(png, 'after.png')).body.id;
}
const today = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

describe('evaluation figures from recorded facts', () => {
  let day: string;
  beforeAll(async () => {
    day = today();
    // E1 on time throughout, rated 5
    const e1 = await report('0901');
    for (const [u, b] of [[TW, { type: 'accept' }], [TW, { type: 'dispatch', unitCode: JG }], [`h.${JG}`, { type: 'sign' }],
      [`h.${JG}`, { type: 'feedback', note: '已清运' }], [TW, { type: 'verify', pass: true }], [GW, { type: 'rate', score: 5 }]] as const) {
      await act(u, e1.id, b);
    }
    // E2 返工 once, rated 3 (基本满意)
    const e2 = await report('0901');
    for (const [u, b] of [[TW, { type: 'accept' }], [TW, { type: 'dispatch', unitCode: JG }], [`h.${JG}`, { type: 'sign' }],
      [`h.${JG}`, { type: 'feedback', note: '已清运' }], [TW, { type: 'verify', pass: false }], [`h.${JG}`, { type: 'feedback', note: '已返工' }],
      [TW, { type: 'verify', pass: true }], [GW, { type: 'rate', score: 3 }]] as const) {
      await act(u, e2.id, b);
    }
    // E3 returned twice between units (退回, 错误派遣, 推诿), suspended, extended, closed, rated 2 → 重办, closed again, rated 5
    const e3 = await report('0901');
    await act(TW, e3.id, { type: 'accept' });
    await act(TW, e3.id, { type: 'dispatch', unitCode: JG });
    await act(`h.${JG}`, e3.id, { type: 'return', reason: '不属于本平台职责' });
    await act(TW, e3.id, { type: 'dispatch', unitCode: ZZ });
    await act(`h.${ZZ}`, e3.id, { type: 'return', reason: '应由监管执法平台处置' });
    await act(TW, e3.id, { type: 'dispatch', unitCode: JG });
    await act(`h.${JG}`, e3.id, { type: 'sign' });
    await act(TW, e3.id, { type: 'suspend', reason: '等待清运车辆' });
    await act(TW, e3.id, { type: 'resume' });
    const handling = await act(`h.${JG}`, e3.id, { type: 'request_extension', reason: '需协调', until: new Date(Date.now() + 3_600_000).toISOString() });
    expect(handling).toBeTruthy();
    await act(TW, e3.id, { type: 'approve_extension', pass: true });
    await act(`h.${JG}`, e3.id, { type: 'feedback', note: '已清运' });
    await act(TW, e3.id, { type: 'verify', pass: true });
    await act(GW, e3.id, { type: 'rate', score: 2 });
    await act(TW, e3.id, { type: 'dispatch', unitCode: JG });
    await act(`h.${JG}`, e3.id, { type: 'sign' });
    await act(`h.${JG}`, e3.id, { type: 'feedback', note: '重办完成' });
    await act(TW, e3.id, { type: 'verify', pass: true });
    await act(GW, e3.id, { type: 'rate', score: 5 });
    // E4 自行处置, closed at village level
    const e4 = await report('0901', { resolvedOnSite: true, attachmentIds: [await photo(GW)] });
    await act(TW, e4.id, { type: 'verify', pass: true });
    // E5 escalated to the county, handled by a county department
    const e5 = await report('0901');
    await act(TW, e5.id, { type: 'accept' });
    await act(TW, e5.id, { type: 'escalate', reason: '跨部门' });
    await act('county.op', e5.id, { type: 'dispatch', unitCode: '330523-ZF' });
    await act('h.330523-ZF', e5.id, { type: 'sign' });
    await act('h.330523-ZF', e5.id, { type: 'feedback', note: '已处置' });
    await act('county.op', e5.id, { type: 'verify', pass: true });
    // E6 accepted late, then voided (作废)
    const e6 = await report('0902');
    await pastDue(e6);
    await act(TW, e6.id, { type: 'accept' });
    await act(TW, e6.id, { type: 'reject', reason: '重复上报' });
    // E7 late at every step, closed late
    const e7 = await report('0902');
    await pastDue(e7);
    let s = await act(TW, e7.id, { type: 'accept' });
    await pastDue(s);
    s = await act(TW, e7.id, { type: 'dispatch', unitCode: JG });
    await pastDue(s);
    s = await act(`h.${JG}`, e7.id, { type: 'sign' });
    await pastDue(s);
    await act(`h.${JG}`, e7.id, { type: 'feedback', note: '已清运' });
    await act(TW, e7.id, { type: 'verify', pass: true });
    // E8 in another township: accepted on time, voided
    const e8 = await report('0901', {}, XF_GRID, `gw.${XF_GRID}`);
    await act(`tw.${XF}`, e8.id, { type: 'accept' });
    await act(`tw.${XF}`, e8.id, { type: 'reject', reason: '非本辖区事项' });
    expect(today()).toBe(day); // the scenario did not straddle midnight (Asia/Shanghai)
  }, 180_000);

  /** The mean 处置 working hours, recomputed from the recorded stage facts. */
  async function avgHandle(where: string, params: unknown[]): Promise<number | null> {
    const { rows } = await api.db.query(`SELECT avg(working_minutes)::float8 AS m FROM stage_facts s
      WHERE stage = 'handle' AND ended_by = 'feedback' AND ${where}`, params);
    return rows[0].m === null ? null : Math.round((rows[0].m / 60) * 100) / 100;
  }

  it('a township: every figure as computed by hand', async () => {
    const res = await (await as(TW)).get(`/stats/summary?regionCode=${DIPU}&from=${day}&to=${day}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      scope: { regionCode: DIPU, unitCode: null, name: '递铺街道' }, from: day, to: day,
      reported: 7, accepted: 6, dispatched: 5, closed: 6, open: 0, overdue: { yellow: 0, red: 0 },
      onTimeAcceptRate: 5 / 7, onTimeSignRate: 5 / 6, onTimeHandleRate: 6 / 7, onTimeCloseRate: 5 / 6, closeRate: 1,
      firstTimeRate: 5 / 6, returnRate: 1 / 5, wrongDispatchRate: 1 / 5, satisfactionRate: 2 / 3,
      avgHandleWorkingHours: await avgHandle(`grid_code LIKE $1 || '%'`, [DIPU]),
      resolvedByLevel: { village: 1 / 6, township: 4 / 6, county: 1 / 6 },
    });
  });

  it('a department (监管执法平台): stage figures of the stages it owned, null where it owned none', async () => {
    const res = await (await as(TW)).get(`/stats/summary?unitCode=${JG}&from=${day}&to=${day}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      scope: { regionCode: null, unitCode: JG }, reported: 4, accepted: 4, dispatched: 4, closed: 4, open: 0,
      onTimeAcceptRate: null, onTimeSignRate: 4 / 5, onTimeHandleRate: 5 / 6, onTimeCloseRate: 3 / 4, closeRate: 1,
      firstTimeRate: 3 / 4, returnRate: 1 / 4, wrongDispatchRate: 1 / 4, satisfactionRate: 2 / 3,
      avgHandleWorkingHours: await avgHandle(`unit_code = $1`, [JG]),
      resolvedByLevel: { village: 0, township: 1, county: 0 },
    });
  });

  it('the county, and the first rating kept through 重办', async () => {
    const res = await (await as('county.lead')).get(`/stats/summary?from=${day}&to=${day}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      scope: { regionCode: '330523', unitCode: null }, reported: 8, accepted: 7, dispatched: 5, closed: 6, open: 0,
      onTimeAcceptRate: 6 / 8, onTimeSignRate: 5 / 6, onTimeHandleRate: 6 / 7, onTimeCloseRate: 5 / 6, closeRate: 1,
      firstTimeRate: 5 / 6, returnRate: 1 / 5, wrongDispatchRate: 1 / 5, satisfactionRate: 2 / 3,
    });
    const { rows } = await api.db.query(`SELECT first_rating, last_rating, return_count, buck_passing_count, wrong_dispatch_count,
      suspend_count, extension_count FROM event_facts WHERE first_rating = 2`);
    expect(rows).toEqual([{ first_rating: 2, last_rating: 5, return_count: 2, buck_passing_count: 1, wrong_dispatch_count: 1,
      suspend_count: 1, extension_count: 1 }]);
  });

  it('a rate with an empty denominator is null; an empty period counts zero', async () => {
    const res = await (await as(TW)).get(`/stats/summary?regionCode=${DIPU}&from=2020-01-01&to=2020-01-31`);
    expect(res.body).toMatchObject({ reported: 0, closed: 0, onTimeCloseRate: null, satisfactionRate: null, avgHandleWorkingHours: null,
      resolvedByLevel: { village: null, township: null, county: null } });
    const bad = await (await as(TW)).get(`/stats/summary?from=2026-02-02&to=2026-02-01`);
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('from');
  });

  it('the daily trend adds up to the summary', async () => {
    const res = await (await as(TW)).get(`/stats/trend?regionCode=${DIPU}&from=${day}&to=${day}&bucket=day`);
    expect(res.status).toBe(200);
    const summary = (await (await as(TW)).get(`/stats/summary?regionCode=${DIPU}&from=${day}&to=${day}`)).body;
    expect(res.body.items).toHaveLength(1);
    const { open: _o, overdue: _d, scope: _s, ...figures } = summary;
    expect(res.body.items[0]).toEqual({ ...figures, open: null, overdue: null });
  });

  it('晾晒: peers visible to every county staff member, weights are data, ranks say when tied', async () => {
    const res = await (await as(`tw.${XF}`)).get(`/stats/rankings?kind=township&from=${day}&to=${day}`);
    expect(res.status).toBe(200);
    const dipu = res.body.items.find((r: { key: string }) => r.key === DIPU);
    // (0.3 × 5/6 + 0.25 × 2/3 + 0.15 × 5/6 + 0.15 × 5/6 + 0.15 × 1) × 100
    expect(dipu).toMatchObject({ rank: 1, score: 81.67, tied: false, previousRank: null, change: null });
    expect(res.body.items.find((r: { key: string }) => r.key === XF)).toMatchObject({ score: null, rank: null });
    const admin = await as('admin');
    expect((await admin.put('/stats/weights', { kind: 'township', indicator: 'onTimeAcceptRate', weight: 0.1 })).status).toBe(200);
    expect((await (await as(TW)).put('/stats/weights', { kind: 'township', indicator: 'onTimeAcceptRate', weight: 1 })).status).toBe(403);
    const again = (await (await as(TW)).get(`/stats/rankings?kind=township&from=${day}&to=${day}`)).body;
    expect(again.items.slice(0, 2).map((r: { key: string; rank: number; score: number }) => [r.key, r.rank, r.score]))
      .toEqual([[XF, 1, 100], [DIPU, 2, 80.74]]);
  });

  it('top categories and 回头件 (only events the caller may see)', async () => {
    const top = (await (await as(TW)).get(`/stats/top-categories?regionCode=${DIPU}&from=${day}&to=${day}&limit=1`)).body;
    expect(top.items).toEqual([{ categoryCode: '0901', name: '暴露垃圾', count: 5, share: 5 / 7 }]);
    const near = await (await as(TW)).get(`/stats/repeats?regionCode=${DIPU}&from=${day}&to=${day}&radiusMetres=5000`);
    expect(near.status).toBe(200);
    expect(near.body.items.length).toBeGreaterThan(0);
    const foreign = await (await as(`tw.${XF}`)).get(`/stats/repeats?regionCode=${DIPU}&from=${day}&to=${day}&radiusMetres=5000`);
    expect(foreign.body.items).toEqual([]);
  });

  it('the xlsx export reads back as the API figures, Chinese headers, and is audited (outcome 4)', async () => {
    const summary = (await (await as(TW)).get(`/stats/summary?regionCode=${DIPU}&from=${day}&to=${day}`)).body;
    const res = await (await as(TW)).get(`/stats/export?regionCode=${DIPU}&from=${day}&to=${day}&format=xlsx`)
      .buffer(true).parse((r, cb) => { const chunks: Buffer[] = []; r.on('data', (c: Buffer) => chunks.push(c)); r.on('end', () => cb(null, Buffer.concat(chunks))); });
    expect(res.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.body as unknown as ExcelJS.Buffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['汇总', '趋势', '排名', '高发类别']);
    const rows = new Map<string, unknown>();
    wb.getWorksheet('汇总')!.eachRow((row, i) => { if (i > 1) rows.set(String(row.getCell(1).value), row.getCell(2).value); });
    expect(rows.get('上报数')).toBe(summary.reported);
    expect(rows.get('按时受理率')).toBe(summary.onTimeAcceptRate);
    expect(rows.get('按期结案率')).toBe(summary.onTimeCloseRate);
    expect(rows.get('满意率')).toBe(summary.satisfactionRate);
    expect(rows.get('一次办结率')).toBe(summary.firstTimeRate);
    expect(rows.get('镇级化解占比')).toBe(summary.resolvedByLevel.township);
    const csv = await (await as(TW)).get(`/stats/export?regionCode=${DIPU}&from=${day}&to=${day}&format=csv`);
    expect(csv.text.startsWith('\uFEFF指标,数值')).toBe(true);
    const { rows: audit } = await api.db.query(`SELECT username, detail FROM audit_log WHERE action = 'stats.export' ORDER BY id`);
    expect(audit.map((a) => [a.username, a.detail.format])).toEqual([[TW, 'xlsx'], [TW, 'csv']]);
  });

  it('a timeline row carries the limit and the colour of the stage it ended, as recorded then', async () => {
    const e = await report('0902');
    await pastDue(e);
    const accepted = await act(TW, e.id, { type: 'accept' });
    await act(TW, e.id, { type: 'dispatch', unitCode: JG });
    const detail = (await (await as(TW)).get(`/events/${e.id}`)).body as { timeline: { type: string; stageFact: unknown }[] };
    const [rep, acc, dis] = detail.timeline;
    expect(rep).toMatchObject({ type: 'report', stageFact: null });
    expect(acc).toMatchObject({ type: 'accept', stageFact: { stage: 'accept', limitMinutes: 0.05, dueAt: e.stageDueAt, onTime: false, warning: 'red' } });
    const dispatchDue = Date.parse(accepted.stageDueAt!);
    expect(dis).toMatchObject({ type: 'dispatch', stageFact: { stage: 'dispatch', limitMinutes: 0.05, dueAt: new Date(dispatchDue).toISOString() } });
    expect(typeof (dis!.stageFact as { onTime: unknown }).onTime).toBe('boolean');
  });

  it('per-category defaults are seeded beside the county ones for the admin to edit (暴露垃圾: 4 working hours)', async () => {
    const rules = (await (await as('admin')).get('/admin/sla-rules')).body.items as { categoryCode: string | null; urgency: string; handleMinutes: number; basis: string }[];
    expect(rules.find((r) => r.categoryCode === '0901' && r.urgency === 'normal')).toMatchObject({ basis: 'working', handleMinutes: 240 });
    expect(rules.find((r) => r.categoryCode === '0902' && r.urgency === 'normal')).toMatchObject({ basis: 'working', handleMinutes: 900 });
    expect(rules.find((r) => r.categoryCode === null && r.urgency === 'normal')).toMatchObject({ handleMinutes: 1350 });
  });

  it('editing a rule or the calendar afterwards changes no past figure', async () => {
    const before = (await (await as(TW)).get(`/stats/summary?regionCode=${DIPU}&from=${day}&to=${day}`)).body;
    const admin = await as('admin');
    expect((await admin.put('/admin/sla-rules', { categoryCode: '0901', urgency: 'urgent', basis: 'working', acceptMinutes: 0.001,
      signMinutes: 0.001, handleMinutes: 0.001, verifyMinutes: 0.001 })).status).toBe(200);
    expect((await admin.put(`/admin/calendar/${day}`, { kind: 'holiday', name: '测试假日' })).status).toBe(200);
    const after = (await (await as(TW)).get(`/stats/summary?regionCode=${DIPU}&from=${day}&to=${day}`)).body;
    expect(after).toEqual(before);
  });
});
