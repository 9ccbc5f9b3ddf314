import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { hotlineEventId, PiiCipher } from '#core';
import { provinceHeaders } from '../../apps/province-sandbox/src/sandbox-signatures.js';
import { pointIn, rowCounts, startApi } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';
import { sandboxKeys, spawnSandbox } from './support/sandbox.js';
import type { SandboxKeys, SandboxProcess } from './support/sandbox.js';

// Issue 10, "12345 work orders flow down" and outcome 3: the province sandbox (a separate process, its own signer)
// pushes signed work orders and 回访 results to the real API listening on a port; an order becomes one event (source
// hotline12345) however often it is pushed; a push whose signature, clock, nonce or key is wrong is a 401 with the
// gateway's text and writes nothing.
jest.setTimeout(120_000);

type Json = any;
const DIPU = '330523001';            // 递铺街道
const GRID = '330523001002001';      // 苕秀社区 第1网格
const TW = `tw.${DIPU}`;
const JG = `${DIPU}-JG`;
const H_JG = `h.${JG}`;
const PHONE = '13912345678';

let api: ApiHarness;
let sandbox: SandboxProcess;
let keys: SandboxKeys;
let base: string;
let server: Server;
let seq = 0;

const orderNo = (tag: string) => `ZJ12345-T${Date.now().toString(36)}-${tag}-${++seq}`;

interface Push { orderNo: string; payload: Record<string, string>; deliveries: { copy: number; attempt: number; status: number | null; body: Json }[] }
const push = async (order: Record<string, unknown>) => {
  const res = await sandbox.admin<Push>('POST', '/_sandbox/push-workorder', { order });
  expect(res.status).toBe(200);
  return res.body;
};
const pushVisit = async (visit: Record<string, unknown>) => {
  const res = await sandbox.admin<Push>('POST', '/_sandbox/push-visit', { visit });
  expect(res.status).toBe(200);
  return res.body;
};

/** A push signed here with the sandbox's own signer (not the API's), with what a test wants to get wrong. */
async function signedPost(path: string, fields: Record<string, string>, o: { ak?: string; sk?: string; at?: Date; nonce?: string } = {}) {
  const form = new URLSearchParams(fields).toString();
  const nonce = o.nonce ?? `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const headers = provinceHeaders('zwdd', 'POST', path, '', form, o.ak ?? keys.push.accessKey, o.sk ?? keys.push.secretKey, o.at ?? new Date(), nonce);
  return send(path, form, headers);
}
async function send(path: string, form: string, headers: Record<string, string>) {
  const res = await fetch(`${base}${path}`, { method: 'POST', body: form, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' } });
  const text = await res.text();
  let body: Json = text;
  try { body = JSON.parse(text); } catch { /* text */ }
  return { status: res.status, body, headers: res.headers };
}

async function act(user: string, id: string, body: Json) {
  const res = await (await api.as(user)).post(`/events/${id}/actions`, body);
  expect([res.status, res.body?.detail]).toEqual([201, undefined]);
  return res.body;
}

beforeAll(async () => {
  keys = sandboxKeys();
  api = await startApi('hotline', { GATEWAY_INBOUND_ACCESS_KEY: keys.push.accessKey, GATEWAY_INBOUND_SECRET_KEY: keys.push.secretKey });
  server = api.app.getHttpServer() as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sandbox = await spawnSandbox(keys, {
    SANDBOX_PUSH_URL: `${base}/api/v1/province/work-orders`, SANDBOX_PUSH_VISIT_URL: `${base}/api/v1/province/work-orders/visits`,
  });
}, 120_000);
afterAll(async () => {
  await sandbox?.stop();
  await api?.close();
});

describe('12345 work orders pushed down by the province', () => {
  it('an order becomes an event: source hotline12345, routed to the grid of its point, order fields kept, contact encrypted', async () => {
    const at = await pointIn(api.db, GRID);
    const no = orderNo('a');
    const p = await push({ orderNo: no, lng: String(at.lng), lat: String(at.lat), citizenPhone: PHONE, citizenName: '李女士', appealType: '投诉', category: '城乡建设/路灯' });
    expect(p.deliveries).toHaveLength(1);
    const d = p.deliveries[0]!;
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ success: true, orderNo: no, duplicate: false, eventId: hotlineEventId(no) });
    expect(d.body.eventCode).toMatch(/^330523\d{13}$/);

    const ev = (await api.db.query(`SELECT id, code, source, grid_code, township_code, category_code, description, reporter_id, status
      FROM events WHERE id = $1`, [hotlineEventId(no)])).rows[0];
    expect(ev).toMatchObject({ code: d.body.eventCode, source: 'hotline12345', grid_code: GRID, township_code: DIPU, category_code: '1302', status: 'reported' });
    expect(ev.description).toContain(no);
    expect(ev.description).toContain(p.payload.title);
    const reporter = (await api.db.query(`SELECT username, disabled, role FROM users WHERE id = $1`, [ev.reporter_id])).rows[0];
    expect(reporter).toEqual({ username: 'svc.hotline12345', disabled: true, role: 'county_operator' });

    const row = (await api.db.query(`SELECT * FROM hotline_orders WHERE order_no = $1`, [no])).rows[0];
    expect(row).toMatchObject({ event_id: ev.id, appeal_type: '投诉', visit_rating: null, visited_at: null });
    expect(row.sign_due_at.getTime()).toBe(parseBeijing(p.payload.signDeadline!));
    expect(row.handle_due_at.getTime()).toBe(parseBeijing(p.payload.handleDeadline!));
    expect(row.fields).toMatchObject({ orderNo: no, title: p.payload.title, content: p.payload.content, channel: '电话', category: '城乡建设/路灯',
      appealType: '投诉', address: p.payload.address, regionCode: '330523', isUrgent: false });
    expect(row.fields).not.toHaveProperty('citizenPhone');
    expect(row.fields).not.toHaveProperty('citizenName');
    // the contact is only in its ciphertexts, which decrypt with the run's key
    const pii = new PiiCipher(process.env.PII_KEY!);
    expect(pii.decrypt('phone', row.caller_phone_enc)).toBe(PHONE);
    expect(pii.decrypt('name', row.caller_name_enc)).toBe('李女士');
    const clear = await api.db.query(`SELECT count(*)::int AS n FROM hotline_orders
      WHERE position(convert_to($1, 'UTF8') in coalesce(caller_phone_enc, '')) > 0 OR fields::text LIKE '%' || $1 || '%' OR position(convert_to('李女士', 'UTF8') in coalesce(caller_name_enc, '')) > 0`, [PHONE]);
    expect(clear.rows[0].n).toBe(0);
    const anywhere = await api.db.query(`SELECT count(*)::int AS n FROM events WHERE description LIKE '%' || $1 || '%'`, [PHONE]);
    expect(anywhere.rows[0].n).toBe(0);

    // the dispatcher sees the event in the township queue
    const queue = await (await api.as(TW)).get(`/events/${ev.id}`);
    expect(queue.status).toBe(200);
    expect(queue.body).toMatchObject({ source: 'hotline12345', gridCode: GRID });
    expect(JSON.stringify(queue.body)).not.toContain(PHONE);
  });

  it('the workspaces see the order with the contact masked; the clear contact needs a dispatcher and a reason, and is audited', async () => {
    const at = await pointIn(api.db, GRID);
    const no = orderNo('view');
    const p = await push({ orderNo: no, lng: String(at.lng), lat: String(at.lat), citizenPhone: PHONE, citizenName: '王小明', appealType: '建议' });
    const id = p.deliveries[0]!.body.eventId as string;
    const view = await (await api.as(TW)).get(`/events/${id}/hotline-order`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ eventId: id, orderNo: no, appealType: '建议', callerName: '王**', callerPhone: '139****5678', title: p.payload.title,
      isUrgent: false, visitRating: null });
    expect(JSON.stringify(view.body)).not.toContain(PHONE);
    expect((await (await api.as('county.op')).get(`/events/${id}/hotline-order`)).status).toBe(200);
    expect((await (await api.as('tw.330523002')).get(`/events/${id}/hotline-order`)).status).toBe(404); // another township
    const notHotline = (await api.db.query(`SELECT id FROM events WHERE source <> 'hotline12345' AND township_code = $1 LIMIT 1`, [DIPU])).rows[0];
    if (notHotline) expect((await (await api.as(TW)).get(`/events/${notHotline.id}/hotline-order`)).status).toBe(404);

    const audits = async () => (await api.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'hotline.contact.view' AND target = $1`, [id])).rows[0].n as number;
    const noReason = await (await api.as(TW)).post(`/events/${id}/hotline-order/contact`, {});
    expect([noReason.status, noReason.body.errors?.[0]?.field]).toEqual([400, 'reason']);
    const handler = await (await api.as(H_JG)).post(`/events/${id}/hotline-order/contact`, { reason: '回电核实' });
    expect(handler.status).toBe(403);
    expect(await audits()).toBe(0);
    const clear = await (await api.as(TW)).post(`/events/${id}/hotline-order/contact`, { reason: '回电核实诉求' });
    expect([clear.status, clear.body]).toEqual([200, { callerName: '王小明', callerPhone: PHONE }]);
    const log = (await api.db.query(`SELECT username, outcome, detail FROM audit_log WHERE action = 'hotline.contact.view' AND target = $1`, [id])).rows;
    expect(log).toEqual([{ username: TW, outcome: 'ok', detail: { orderNo: no, reason: '回电核实诉求' } }]);
  });

  it('an order without coordinates is placed in the region its regionCode names; a county-wide one without coordinates is refused', async () => {
    const no = orderNo('r');
    const p = await push({ orderNo: no, lng: null, lat: null, regionCode: GRID });
    expect(p.deliveries[0]!.status).toBe(200);
    const ev = (await api.db.query(`SELECT grid_code FROM events WHERE id = $1`, [hotlineEventId(no)])).rows[0];
    expect(ev.grid_code).toBe(GRID);

    const before = await rowCounts(api.db);
    const county = await push({ orderNo: orderNo('rc'), lng: null, lat: null, regionCode: '330523' });
    expect(county.deliveries[0]!.status).toBe(400);
    expect(county.deliveries[0]!.body.errors[0].field).toBe('regionCode');
    expect(await rowCounts(api.db)).toEqual(before);
  });

  it('the same order pushed twice (the province re-sends with a fresh nonce) and concurrently is one event and one row', async () => {
    await sandbox.admin('POST', '/_sandbox/faults', { duplicateRate: 1 });
    const no = orderNo('d');
    let p: Push;
    try {
      p = await push({ orderNo: no });
    } finally {
      await sandbox.admin('POST', '/_sandbox/faults', { duplicateRate: 0 });
    }
    expect(p.deliveries.map((x) => [x.copy, x.status, x.body.duplicate])).toEqual([[1, 200, false], [2, 200, true]]);
    expect(p.deliveries[1]!.body.eventCode).toBe(p.deliveries[0]!.body.eventCode);

    // eight pushes of one new order at the same moment
    const racing = orderNo('c');
    const all = await Promise.all(Array.from({ length: 8 }, () => push({ orderNo: racing, title: '同一工单并发推送（测试）' })));
    const bodies = all.map((x) => x.deliveries[0]!);
    expect(bodies.map((b) => b.status)).toEqual(Array(8).fill(200));
    expect(new Set(bodies.map((b) => b.body.eventCode)).size).toBe(1);
    expect(bodies.filter((b) => b.body.duplicate === false)).toHaveLength(1);

    for (const n of [no, racing]) {
      const counts = await api.db.query(`SELECT (SELECT count(*)::int FROM hotline_orders WHERE order_no = $1) AS orders,
        (SELECT count(*)::int FROM events WHERE id = $2) AS events,
        (SELECT count(*)::int FROM event_actions WHERE event_id = $2) AS actions`, [n, hotlineEventId(n)]);
      expect(counts.rows[0]).toEqual({ orders: 1, events: 1, actions: 1 });
    }
  });

  it('malformed orders are 400 problems naming the province field, nothing written', async () => {
    const before = await rowCounts(api.db);
    const cases: [Record<string, unknown>, string][] = [
      [{ title: null }, 'title'],
      [{ orderNo: orderNo('m'), content: '' }, 'content'],
      [{ orderNo: orderNo('m'), lng: 'east' }, 'lng'],
      [{ orderNo: orderNo('m'), lat: '95' }, 'lat'],
      [{ orderNo: orderNo('m'), signDeadline: 'tomorrow' }, 'signDeadline'],
      [{ orderNo: orderNo('m'), attachments: '[not json' }, 'attachments'],
      [{ orderNo: 'x'.repeat(65) }, 'orderNo'],
      [{ orderNo: orderNo('m'), lng: '120.9', lat: '35.1' }, 'lng/lat'], // a point outside the county
    ];
    for (const [order, field] of cases) {
      const d = (await push(order)).deliveries[0]!;
      expect([field, d.status, d.body.type]).toEqual([field, 400, 'urn:grid141:problem:invalid-input']);
      expect(d.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect(await rowCounts(api.db)).toEqual(before);
  });
});

describe('outcome 3: a push that fails the gateway check is 401 with the gateway text, nothing written', () => {
  const PATH = '/api/v1/province/work-orders';
  const fields = () => ({ orderNo: orderNo('x'), title: '路灯不亮（签名测试）', content: '签名测试工单', lng: '119.6817', lat: '30.6383', appealType: '求助' });

  it('bad signature, expired timestamp, unknown key, reused nonce', async () => {
    const before = await rowCounts(api.db);
    const bad = await signedPost(PATH, fields(), { sk: 'not-the-province-secret' });
    expect([bad.status, bad.body]).toEqual([401, { message: 'Invalid signature' }]);
    const expired = await signedPost(PATH, fields(), { at: new Date(Date.now() - 10 * 60_000) });
    expect([expired.status, expired.body]).toEqual([401, { message: 'Clock skew exceeded' }]);
    const future = await signedPost(PATH, fields(), { at: new Date(Date.now() + 10 * 60_000) });
    expect([future.status, future.body]).toEqual([401, { message: 'Clock skew exceeded' }]);
    const unknown = await signedPost(PATH, fields(), { ak: 'province_unknown', sk: keys.push.secretKey });
    expect([unknown.status, unknown.body]).toEqual([401, { message: 'Invalid access key' }]);
    // a body changed after signing
    const f = fields();
    const form = new URLSearchParams(f).toString();
    const headers = provinceHeaders('zwdd', 'POST', PATH, '', form, keys.push.accessKey, keys.push.secretKey, new Date(), `${Date.now()}1`);
    const tampered = await send(PATH, new URLSearchParams({ ...f, title: '被篡改的标题' }).toString(), headers);
    expect([tampered.status, tampered.body]).toEqual([401, { message: 'Invalid signature' }]);
    // unsigned, and the visits route too
    const unsigned = await send(PATH, form, {});
    expect([unsigned.status, unsigned.body]).toEqual([401, { message: 'Invalid access key' }]);
    const badVisit = await signedPost(`${PATH}/visits`, { orderNo: f.orderNo, visitResult: '满意' }, { sk: 'wrong' });
    expect([badVisit.status, badVisit.body]).toEqual([401, { message: 'Invalid signature' }]);
    expect(await rowCounts(api.db)).toEqual(before);

    // a captured valid push replayed (same nonce, same signature) is refused and writes nothing more
    const nonce = `${Date.now()}424242`;
    const g = fields();
    const first = await signedPost(PATH, g, { nonce });
    expect(first.status).toBe(200);
    const afterFirst = await rowCounts(api.db);
    expect(afterFirst.hotline_orders).toBe(before.hotline_orders! + 1);
    const replay = await signedPost(PATH, g, { nonce });
    expect([replay.status, replay.body]).toEqual([401, { message: 'Nonce has already been used' }]);
    const replayOther = await signedPost(PATH, fields(), { nonce });
    expect([replayOther.status, replayOther.body]).toEqual([401, { message: 'Nonce has already been used' }]);
    expect(await rowCounts(api.db)).toEqual(afterFirst);
  });

  it('a body that is not a form is refused after the signature check (415), nothing written', async () => {
    const before = await rowCounts(api.db);
    const headers = provinceHeaders('zwdd', 'POST', PATH, '', '', keys.push.accessKey, keys.push.secretKey, new Date(), `${Date.now()}77`);
    const res = await fetch(`${base}${PATH}`, { method: 'POST', body: JSON.stringify(fields()), headers: { ...headers, 'content-type': 'application/json' } });
    expect(res.status).toBe(415);
    expect(await rowCounts(api.db)).toEqual(before);
  });
});

describe('回访 results come down onto the event', () => {
  async function closedOrder(tag: string) {
    const at = await pointIn(api.db, GRID);
    const no = orderNo(tag);
    const p = await push({ orderNo: no, lng: String(at.lng), lat: String(at.lat) });
    expect(p.deliveries[0]!.status).toBe(200);
    const id = hotlineEventId(no);
    await act(TW, id, { type: 'accept' });
    await act(TW, id, { type: 'dispatch', unitCode: JG });
    await act(H_JG, id, { type: 'sign' });
    await act(H_JG, id, { type: 'feedback', note: '路灯已修复' });
    const closed = await act(TW, id, { type: 'verify', pass: true });
    expect(closed.status).toBe('closed');
    return { no, id };
  }

  it('满意 lands as the rating (5) on the event, once, however often it is pushed', async () => {
    const { no, id } = await closedOrder('v');
    await sandbox.admin('POST', '/_sandbox/faults', { duplicateRate: 1 });
    let v: Push;
    try {
      v = await pushVisit({ orderNo: no, visitResult: '满意', visitContent: '群众表示满意' });
    } finally {
      await sandbox.admin('POST', '/_sandbox/faults', { duplicateRate: 0 });
    }
    expect(v.deliveries.map((x) => [x.status, x.body.score, x.body.duplicate])).toEqual([[200, 5, false], [200, 5, true]]);
    const detail = await (await api.as(TW)).get(`/events/${id}`);
    expect(detail.body).toMatchObject({ status: 'closed', rating: 5 });
    expect(detail.body.timeline.filter((t: { type: string }) => t.type === 'rate')).toHaveLength(1);
    const row = (await api.db.query(`SELECT visit_rating, visited_at FROM hotline_orders WHERE order_no = $1`, [no])).rows[0];
    expect(row.visit_rating).toBe(5);
    expect(row.visited_at).toBeInstanceOf(Date);

    // concurrent repeats are applied once too
    const again = await Promise.all(Array.from({ length: 4 }, () => pushVisit({ orderNo: no, visitResult: '不满意' })));
    expect(again.map((x) => [x.deliveries[0]!.status, x.deliveries[0]!.body.duplicate, x.deliveries[0]!.body.score])).toEqual(Array(4).fill([200, true, 5]));
    const after = await (await api.as(TW)).get(`/events/${id}`);
    expect(after.body).toMatchObject({ status: 'closed', rating: 5, version: detail.body.version });
  });

  it('不满意 reopens the event as 重办 in the centre queue (the workflow rule)', async () => {
    const { no, id } = await closedOrder('u');
    const v = await pushVisit({ orderNo: no, visitResult: '不满意' });
    expect(v.deliveries[0]).toMatchObject({ status: 200, body: { score: 1, duplicate: false } });
    const detail = await (await api.as(TW)).get(`/events/${id}`);
    expect(detail.body.rating).toBe(1);
    expect(detail.body.status).not.toBe('closed');
    expect(detail.body.ownerUnitCode).toBe(`${DIPU}-ZH`);
    expect(detail.body.status).toBe('accepted');

    // 重办: handled and closed again, then a later 回访 is a new rating; the first one re-sent is still applied once
    await act(TW, id, { type: 'dispatch', unitCode: JG });
    await act(H_JG, id, { type: 'sign' });
    await act(H_JG, id, { type: 'feedback', note: '重办：路灯线路已更换' });
    await act(TW, id, { type: 'verify', pass: true });
    const firstTime = v.payload.visitTime!;
    const replayed = await pushVisit({ orderNo: no, visitResult: '不满意', visitTime: firstTime });
    expect(replayed.deliveries[0]).toMatchObject({ status: 200, body: { duplicate: true, score: 1 } });
    expect((await (await api.as(TW)).get(`/events/${id}`)).body).toMatchObject({ status: 'closed', rating: null });
    const later = new Date(parseBeijing(firstTime) + 60_000 + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
    const second = await pushVisit({ orderNo: no, visitResult: '基本满意', visitTime: later });
    expect(second.deliveries[0]).toMatchObject({ status: 200, body: { duplicate: false, score: 3, status: 'closed' } });
    const final = await (await api.as(TW)).get(`/events/${id}`);
    expect(final.body).toMatchObject({ status: 'closed', rating: 3 });
    expect(final.body.timeline.filter((t: { type: string }) => t.type === 'rate')).toHaveLength(2);
    const row = (await api.db.query(`SELECT visit_rating, visited_at FROM hotline_orders WHERE order_no = $1`, [no])).rows[0];
    expect([row.visit_rating, row.visited_at.getTime()]).toEqual([3, parseBeijing(later)]);
  });

  it('a visit for an unknown order is 404, for an open event 409, a bad result 400 naming the field; nothing written', async () => {
    const at = await pointIn(api.db, GRID);
    const open = orderNo('o');
    expect((await push({ orderNo: open, lng: String(at.lng), lat: String(at.lat) })).deliveries[0]!.status).toBe(200);
    const before = await rowCounts(api.db);
    const unknown = (await pushVisit({ orderNo: 'ZJ12345-NO-SUCH-ORDER', visitResult: '满意' })).deliveries[0]!;
    expect([unknown.status, unknown.body.type]).toEqual([404, 'urn:grid141:problem:not-found']);
    const notClosed = (await pushVisit({ orderNo: open, visitResult: '满意' })).deliveries[0]!;
    expect(notClosed.status).toBe(409);
    const bad = (await pushVisit({ orderNo: open, visitResult: '还行吧' })).deliveries[0]!;
    expect([bad.status, bad.body.errors?.[0]?.field]).toEqual([400, 'visitResult']);
    const badTime = (await pushVisit({ orderNo: open, visitResult: '满意', visitTime: 'yesterday' })).deliveries[0]!;
    expect([badTime.status, badTime.body.errors?.[0]?.field]).toEqual([400, 'visitTime']);
    expect(await rowCounts(api.db)).toEqual(before);
  });
});

describe('without GATEWAY_INBOUND_* the door is closed', () => {
  let off: ApiHarness;
  beforeAll(async () => {
    delete process.env.GATEWAY_INBOUND_ACCESS_KEY;
    delete process.env.GATEWAY_INBOUND_SECRET_KEY;
    off = await startApi('hotline_off');
  }, 120_000);
  afterAll(async () => { await off?.close(); });

  it('answers 503 "not configured" (no default key accepts anything), nothing written', async () => {
    const before = await rowCounts(off.db);
    const form = new URLSearchParams({ orderNo: 'ZJ12345-OFF-1', title: '未配置', content: '未配置网关时的推送' }).toString();
    const headers = provinceHeaders('zwdd', 'POST', '/api/v1/province/work-orders', '', form, keys.push.accessKey, keys.push.secretKey, new Date(), `${Date.now()}9`);
    for (const path of ['/api/v1/province/work-orders', '/api/v1/province/work-orders/visits']) {
      const res = await off.http().post(path).set(headers).set('content-type', 'application/x-www-form-urlencoded').send(form);
      expect(res.status).toBe(503);
      expect(res.body.detail).toMatch(/^not configured/);
    }
    expect(await rowCounts(off.db)).toEqual(before);
  });
});

/** `2026-12-01 14:30:00` Beijing time → epoch ms. */
function parseBeijing(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s)!;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]! - 8, +m[5]!, +m[6]!);
}
