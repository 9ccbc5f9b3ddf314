import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newId, pointIn, startApi } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';
import type { EventPage } from '#contracts';

// The closed loop (闭环) of issue 3 and each side path, end to end through HTTP as the demo users.
const DIPU = '330523001';            // 递铺街道
const XIAOFENG = '330523105';        // 孝丰镇
const GRID = '330523001002001';      // 苕秀社区 第1网格 (递铺街道)
const XF_GRID = '330523105003001';   // a 孝丰镇 grid
const GW = `gw.${GRID}`;
const TW = `tw.${DIPU}`;
const JG = `${DIPU}-JG`;             // 递铺街道 监管执法平台
const H_JG = `h.${JG}`;

let api: ApiHarness;
beforeAll(async () => { api = await startApi('workflow'); });
afterAll(async () => { await api?.close(); });

const as = (username: string) => api.as(username);

async function photo(user: string): Promise<string> {
  const sharp = (await import('sharp')).default;
  const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 120, b: 40 } } }).png().toBuffer();
  const res = await (await as(user)).upload(png, 'after.png');
  expect(res.status).toBe(201);
  expect(res.body.mime).toBe('image/jpeg');
  return res.body.id;
}

async function report(user = GW, extra: Record<string, unknown> = {}, grid = GRID) {
  const at = await pointIn(api.db, grid);
  const res = await (await as(user)).post('/events', {
    id: newId(), categoryCode: '0901', description: '路边暴露垃圾，需清运', location: at, address: '递铺街道某路口', ...extra,
  });
  expect(res.status).toBe(201);
  // the API shape only: no internal columns (first report: ordinary path; later ones: the snapshot fast path)
  expect(res.body).not.toHaveProperty('guardOk');
  expect(res.body).not.toHaveProperty('involvedUnitCodes');
  expect(res.body).not.toHaveProperty('regionCode');
  return res.body;
}

async function act(user: string, id: string, body: Record<string, unknown>, status = 201) {
  const res = await (await as(user)).post(`/events/${id}/actions`, body);
  if (res.status !== status) throw new Error(`${user} ${body.type}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function timeline(id: string, user = TW) {
  const res = await (await as(user)).get(`/events/${id}`);
  expect(res.status).toBe(200);
  return res.body;
}

describe('closed loop: report → accept → dispatch → sign → feedback → verify → close', () => {
  it('runs as the right users, with state, level, owner and timeline after each step', async () => {
    const before = await photo(GW);
    const ev = await report(GW, { attachmentIds: [before] });
    expect(ev).toMatchObject({ status: 'reported', level: 'township', townshipCode: DIPU, gridCode: GRID, villageCode: '330523001002',
      countyCode: '330523', ownerUnitCode: `${DIPU}-ZH`, suggestedUnitCode: JG, categoryCode: '0901', warning: 'none', version: 1, source: 'grid' });
    expect(ev.code).toMatch(/^330523\d{8}\d{5}$/);

    // in the township's queue
    const queue = await (await as(TW)).get('/events?status=reported');
    expect(queue.body.items.map((e: { id: string }) => e.id)).toContain(ev.id);

    let e = await act(TW, ev.id, { type: 'accept', expectedVersion: 1, note: '已受理' });
    expect(e).toMatchObject({ status: 'accepted', ownerUnitCode: `${DIPU}-ZH`, version: 2 });
    e = await act(TW, ev.id, { type: 'dispatch', unitCode: JG, note: '请监管执法平台处置' });
    expect(e).toMatchObject({ status: 'dispatched', ownerUnitCode: JG, handlerUnitCode: JG, version: 3 });
    e = await act(H_JG, ev.id, { type: 'sign' });
    expect(e).toMatchObject({ status: 'handling', ownerUnitCode: JG });
    expect(e.assigneeId).toBeTruthy();
    const signer = await api.db.query(`SELECT id FROM users WHERE username = $1`, [H_JG]);
    expect(e.assigneeId).toBe(signer.rows[0].id); // the handler who signed (签收) is the assignee
    const after = await photo(H_JG);
    e = await act(H_JG, ev.id, { type: 'feedback', note: '已清运完毕', attachmentIds: [after] });
    expect(e).toMatchObject({ status: 'handled', ownerUnitCode: `${DIPU}-ZH` });
    e = await act(TW, ev.id, { type: 'verify', pass: true, note: '核查通过' });
    expect(e).toMatchObject({ status: 'closed', level: 'township', version: 6 });
    expect(e.closedAt).toBeTruthy();

    const detail = await timeline(ev.id);
    expect(detail.timeline.map((t: { type: string }) => t.type)).toEqual(['report', 'accept', 'dispatch', 'sign', 'feedback', 'verify']);
    expect(detail.timeline.map((t: { toStatus: string }) => t.toStatus)).toEqual(['reported', 'accepted', 'dispatched', 'handling', 'handled', 'closed']);
    const feedback = detail.timeline[4];
    expect(feedback).toMatchObject({ unitCode: JG, note: '已清运完毕', fromStatus: 'handling', toStatus: 'handled', actorRole: 'handler' });
    expect(feedback.attachmentIds).toEqual([after]);
    expect(feedback.actorName).toContain('监管执法平台');
    for (const t of detail.timeline) { expect(t.actorId).toBeTruthy(); expect(Date.parse(t.at)).not.toBeNaN(); }
    expect(detail.timeline[1]).toMatchObject({ unitCode: `${DIPU}-ZH`, note: '已受理' });

    // the after photo is visible to the dispatcher, not to another township
    expect((await (await as(TW)).get(`/attachments/${after}`)).status).toBe(200);
    expect((await (await as(`tw.${XIAOFENG}`)).get(`/attachments/${after}`)).status).toBe(404);

    // rating after closing (满意度): satisfied stays closed
    e = await act(GW, ev.id, { type: 'rate', score: 5 });
    expect(e).toMatchObject({ status: 'closed', rating: 5 });
    // every change wrote outbox rows in its transaction
    const ob = await api.db.query(`SELECT count(*)::int AS n FROM outbox WHERE aggregate_id = $1 AND topic = 'event.changed'`, [ev.id]);
    expect(ob.rows[0].n).toBe(7);
  });
});

describe('side paths', () => {
  it('reject (作废) needs a reason and ends the event', async () => {
    const ev = await report();
    const bad = await (await as(TW)).post(`/events/${ev.id}/actions`, { type: 'reject' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('reason');
    const e = await act(TW, ev.id, { type: 'reject', reason: '重复测试数据' });
    expect(e.status).toBe('rejected');
    const again = await (await as(TW)).post(`/events/${ev.id}/actions`, { type: 'accept' });
    expect(again.status).toBe(409);
    expect(again.headers['content-type']).toContain('application/problem+json');
  });

  it('merge a duplicate into a master event', async () => {
    const master = await report();
    const dup = await report();
    const e = await act(TW, dup.id, { type: 'merge', targetEventId: master.id, note: '与主件重复' });
    expect(e).toMatchObject({ status: 'merged', mergedIntoId: master.id });
    const self = await report();
    const res = await (await as(TW)).post(`/events/${self.id}/actions`, { type: 'merge', targetEventId: self.id });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].field).toBe('targetEventId');
  });

  it('return (退回) with a reason, then re-dispatch (重派) to another platform', async () => {
    const ev = await report();
    await act(TW, ev.id, { type: 'accept' });
    await act(TW, ev.id, { type: 'dispatch', unitCode: `${DIPU}-ZZ` });
    const noReason = await (await as(`h.${DIPU}-ZZ`)).post(`/events/${ev.id}/actions`, { type: 'return' });
    expect(noReason.status).toBe(422);
    let e = await act(`h.${DIPU}-ZZ`, ev.id, { type: 'return', reason: '不属于综治工作职责' });
    expect(e).toMatchObject({ status: 'accepted', ownerUnitCode: `${DIPU}-ZH`, handlerUnitCode: null, returnCount: 1 });
    e = await act(TW, ev.id, { type: 'dispatch', unitCode: JG });
    expect(e).toMatchObject({ status: 'dispatched', handlerUnitCode: JG });
    // the returning unit keeps read access to what it once held, but can no longer act
    const stale = await (await as(`h.${DIPU}-ZZ`)).post(`/events/${ev.id}/actions`, { type: 'sign' });
    expect(stale.status).toBe(403);
    const t = await timeline(ev.id);
    expect(t.timeline.find((x: { type: string }) => x.type === 'return')).toMatchObject({ note: '不属于综治工作职责', unitCode: `${DIPU}-ZZ` });
  });

  it('failed verification (返工) sends it back to the same unit', async () => {
    const ev = await report();
    await act(TW, ev.id, { type: 'accept' });
    await act(TW, ev.id, { type: 'dispatch', unitCode: JG });
    await act(H_JG, ev.id, { type: 'sign' });
    await act(H_JG, ev.id, { type: 'feedback', note: '已处理' });
    let e = await act(TW, ev.id, { type: 'verify', pass: false, note: '现场仍有垃圾' });
    expect(e).toMatchObject({ status: 'handling', ownerUnitCode: JG, reworkCount: 1 });
    e = await act(H_JG, ev.id, { type: 'feedback', note: '再次清运' });
    e = await act(TW, ev.id, { type: 'verify', pass: true });
    expect(e.status).toBe('closed');
  });

  it('escalation to the county centre and dispatch by the county to a county department', async () => {
    const ev = await report();
    await act(TW, ev.id, { type: 'accept' });
    let e = await act(TW, ev.id, { type: 'escalate', reason: '涉及跨部门，乡镇无法解决' });
    expect(e).toMatchObject({ status: 'accepted', level: 'county', ownerUnitCode: '330523-ZX', centreUnitCode: '330523-ZX' });
    // the township keeps sight of it but can no longer act
    expect((await (await as(TW)).get(`/events/${ev.id}`)).status).toBe(200);
    expect((await (await as(TW)).post(`/events/${ev.id}/actions`, { type: 'dispatch', unitCode: JG })).status).toBe(403);
    // a township unit is not a county-level target
    const wrong = await (await as('county.op')).post(`/events/${ev.id}/actions`, { type: 'dispatch', unitCode: JG });
    expect(wrong.status).toBe(422);
    expect(wrong.body.errors[0].field).toBe('unitCode');
    e = await act('county.op', ev.id, { type: 'dispatch', unitCode: '330523-ZF', supportUnitCodes: ['330523-HB'], note: '请县综合行政执法局牵头' });
    expect(e).toMatchObject({ status: 'dispatched', level: 'county', ownerUnitCode: '330523-ZF', supportUnitCodes: ['330523-HB'] });
    e = await act('h.330523-ZF', ev.id, { type: 'sign' });
    e = await act('h.330523-ZF', ev.id, { type: 'feedback', note: '已联合执法处置' });
    expect(e.ownerUnitCode).toBe('330523-ZX');
    e = await act('county.op', ev.id, { type: 'verify', pass: true });
    expect(e).toMatchObject({ status: 'closed', level: 'county' });
    const t = await timeline(ev.id, 'county.op');
    expect(t.timeline.find((x: { type: string }) => x.type === 'escalate')).toMatchObject({ fromLevel: 'township', toLevel: 'county', note: '涉及跨部门，乡镇无法解决' });
  });

  it('suspend (挂起) and resume', async () => {
    const ev = await report();
    await act(TW, ev.id, { type: 'accept' });
    await act(TW, ev.id, { type: 'dispatch', unitCode: JG });
    await act(H_JG, ev.id, { type: 'sign' });
    let e = await act(TW, ev.id, { type: 'suspend', reason: '等待资金到位' });
    expect(e).toMatchObject({ status: 'suspended', suspendedFromStatus: 'handling' });
    const blocked = await (await as(H_JG)).post(`/events/${ev.id}/actions`, { type: 'feedback', note: 'x' });
    expect(blocked.status).toBe(409);
    e = await act(TW, ev.id, { type: 'resume', note: '资金已到位' });
    expect(e).toMatchObject({ status: 'handling', suspendedFromStatus: null });
  });

  it('extension request (延期申请) and approval', async () => {
    const ev = await report();
    await act(TW, ev.id, { type: 'accept' });
    await act(TW, ev.id, { type: 'dispatch', unitCode: JG });
    await act(H_JG, ev.id, { type: 'sign' });
    const until = new Date(Date.now() + 5 * 86400_000).toISOString();
    let e = await act(H_JG, ev.id, { type: 'request_extension', until, reason: '需第三方清运车辆' });
    expect(e.extensionRequestedUntil).toBe(until);
    const notHandler = await (await as(H_JG)).post(`/events/${ev.id}/actions`, { type: 'approve_extension' });
    expect(notHandler.status).toBe(403);
    e = await act(TW, ev.id, { type: 'approve_extension', note: '同意延期' });
    expect(e).toMatchObject({ extendedUntil: until, extensionRequestedUntil: null, status: 'handling' });
  });

  it('urge (催办) and supervise (督办) are flags on the timeline', async () => {
    const ev = await report();
    await act(TW, ev.id, { type: 'accept' });
    let e = await act('county.op', ev.id, { type: 'urge', note: '请尽快处理' });
    expect(e).toMatchObject({ status: 'accepted', urgeCount: 1 });
    e = await act('county.lead', ev.id, { type: 'supervise', note: '县领导督办' });
    expect(e).toMatchObject({ supervised: true, status: 'accepted' });
    const gw = await (await as(GW)).post(`/events/${ev.id}/actions`, { type: 'supervise' });
    expect(gw.status).toBe(403);
    const denial = await api.db.query(`SELECT username, outcome FROM audit_log WHERE outcome = 'denied' AND target = $1`, [`/api/v1/events/${ev.id}/actions`]);
    expect(denial.rows).toEqual([{ username: GW, outcome: 'denied' }]);
    const t = await timeline(ev.id);
    expect(t.timeline.slice(-2).map((x: { type: string; unitCode: string }) => [x.type, x.unitCode])).toEqual([['urge', '330523-ZX'], ['supervise', '330523-ZX']]);
  });

  it('a dissatisfied rating reopens the event as 重办', async () => {
    const ev = await report();
    await act(TW, ev.id, { type: 'accept' });
    await act(TW, ev.id, { type: 'dispatch', unitCode: JG });
    await act(H_JG, ev.id, { type: 'sign' });
    await act(H_JG, ev.id, { type: 'feedback', note: '已处理' });
    await act(TW, ev.id, { type: 'verify', pass: true });
    const e = await act(GW, ev.id, { type: 'rate', score: 1, note: '问题依旧' });
    expect(e).toMatchObject({ status: 'accepted', rating: 1, ownerUnitCode: `${DIPU}-ZH`, closedAt: null });
  });

  it("a grid worker's on-the-spot resolution (自行处置) goes straight to the township's verification", async () => {
    const after = await photo(GW);
    const ev = await report(GW, { resolvedOnSite: true, attachmentIds: [after], description: '已现场劝离占道经营' });
    expect(ev).toMatchObject({ status: 'handled', level: 'village', resolvedOnSite: true, ownerUnitCode: `${DIPU}-ZH` });
    const e = await act(TW, ev.id, { type: 'verify', pass: true });
    expect(e.status).toBe('closed');
  });
});

describe('jurisdiction', () => {
  it("another township's dispatcher, handler and grid worker get 404 on the event and every action", async () => {
    const ev = await report();
    await act(TW, ev.id, { type: 'accept' });
    await act(TW, ev.id, { type: 'dispatch', unitCode: JG });
    for (const outsider of [`tw.${XIAOFENG}`, `h.${XIAOFENG}-JG`, `gw.${XF_GRID}`]) {
      const client = await as(outsider);
      expect((await client.get(`/events/${ev.id}`)).status).toBe(404);
      for (const type of ['accept', 'reject', 'merge', 'dispatch', 'sign', 'return', 'feedback', 'verify', 'escalate', 'suspend', 'resume',
        'request_extension', 'approve_extension', 'urge', 'supervise', 'rate']) {
        const res = await client.post(`/events/${ev.id}/actions`, { type, reason: 'x', note: 'x', unitCode: `${XIAOFENG}-JG` });
        expect([type, res.status]).toEqual([type, 404]);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
      const list = await client.get('/events?limit=200');
      expect(list.body.items.map((e: { id: string }) => e.id)).not.toContain(ev.id);
    }
  });

  it('lists never leak events outside the caller\'s region; the county operator sees all', async () => {
    const mine = await report();
    const theirs = await report(`gw.${XF_GRID}`, {}, XF_GRID);
    const all = async (user: string, query = '') => {
      const ids: string[] = []; const townships = new Set<string>();
      let cursor: string | null = null;
      do {
        const res: { body: EventPage } =
          await (await as(user)).get(`/events?limit=7${query}${cursor ? `&cursor=${cursor}` : ''}`);
        for (const e of res.body.items) { ids.push(e.id); townships.add(e.townshipCode); }
        cursor = res.body.nextCursor;
      } while (cursor);
      return { ids, townships };
    };
    const dipu = await all(TW);
    expect([...dipu.townships]).toEqual([DIPU]);
    expect(dipu.ids).toContain(mine.id);
    expect(dipu.ids).not.toContain(theirs.id);
    expect(new Set(dipu.ids).size).toBe(dipu.ids.length);
    const xf = await all(`tw.${XIAOFENG}`);
    expect([...xf.townships]).toEqual([XIAOFENG]);
    const county = await all('county.op');
    expect(county.ids).toEqual(expect.arrayContaining([mine.id, theirs.id]));
    const total = await api.db.query(`SELECT count(*)::int AS n FROM events`);
    expect(county.ids.length).toBe(total.rows[0].n);
    // a regionCode filter outside the caller's jurisdiction returns nothing
    const sneaky = await all(TW, `&regionCode=${XIAOFENG}`);
    expect(sneaky.ids).toEqual([]);
    // the handler sees only what was dispatched to its unit
    const handler = await all(`h.${XIAOFENG}-JG`);
    expect(handler.ids).toEqual([]);
  });
});
