import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startApi, waitFor } from './support/harness.js';
import type { ApiHarness, UserClient } from './support/harness.js';
import { spawnWorker } from './support/processes.js';
import type { AppProcess } from './support/processes.js';
import { sandboxKeys, spawnSandbox } from './support/sandbox.js';
import type { SandboxProcess } from './support/sandbox.js';

// Issue 10, outcome 2: a 12345 work order goes down (pushed and signed by the province sandbox), through the whole
// workflow — accepted, dispatched, returned by the unit (退单 upward), dispatched again, signed (签收), an extension asked
// (延期申请) and granted, handled (回复), verified — and every upward message arrives at the sandbox once, with the order
// number and the fields the county wrote; then the resident's 回访 comes down and its rating lands on the event.
jest.setTimeout(120_000);

type Json = any;
const DIPU = '330523001';
const GRID = '330523001002001';
const TW = `tw.${DIPU}`;
const JG = `${DIPU}-JG`;

let api: ApiHarness;
let sandbox: SandboxProcess;
let worker: AppProcess;
let server: Server;
let tw: UserClient;
let h: UserClient;
const keys = sandboxKeys();

async function act(c: UserClient, id: string, body: Record<string, unknown>): Promise<Json> {
  const r = await c.post(`/events/${id}/actions`, body);
  expect([r.status, r.body?.detail]).toEqual([201, undefined]);
  return r.body;
}
const received = async (kind: string) => (await sandbox.admin<{ distinct: number; items: { body: Json }[] }>('GET', `/_sandbox/received?kind=${kind}`)).body;

beforeAll(async () => {
  api = await startApi('hotline_roundtrip', { GATEWAY_INBOUND_ACCESS_KEY: keys.push.accessKey, GATEWAY_INBOUND_SECRET_KEY: keys.push.secretKey });
  server = api.app.getHttpServer() as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sandbox = await spawnSandbox(keys, {
    SANDBOX_PUSH_URL: `${base}/api/v1/province/work-orders`, SANDBOX_PUSH_VISIT_URL: `${base}/api/v1/province/work-orders/visits`,
  });
  // the worker's relay sends upward through the sandbox (12345 falls back to the IRS gateway and keys)
  worker = await spawnWorker({
    GATEWAY_ZWDD_BASE_URL: sandbox.url, GATEWAY_ZWDD_ACCESS_KEY: keys.zwdd.accessKey, GATEWAY_ZWDD_SECRET_KEY: keys.zwdd.secretKey,
    GATEWAY_ZWDD_TENANT_ID: '196729',
    GATEWAY_IRS_BASE_URL: sandbox.url, GATEWAY_IRS_ACCESS_KEY: keys.irs.accessKey, GATEWAY_IRS_SECRET_KEY: keys.irs.secretKey,
  });
  [tw, h] = await Promise.all([api.as(TW), api.as(`h.${JG}`)]);
}, 120_000);
afterAll(async () => {
  await worker?.stop('SIGKILL');
  await sandbox?.stop();
  await api?.close();
});

describe('a 12345 work order, down and up again', () => {
  it('every step the county takes reaches the province once with the right fields, and the 回访 rating comes back', async () => {
    const at = (await api.db.query(`SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) p FROM regions WHERE code = $1) x`, [GRID])).rows[0];
    const orderNo = `ZJ12345-RT${Date.now().toString(36)}`;
    const pushed = await sandbox.admin<Json>('POST', '/_sandbox/push-workorder', { order: { orderNo, lng: String(at.lng), lat: String(at.lat),
      category: '市容环境/暴露垃圾', title: '小区门口垃圾堆放', content: '居民来电：小区门口垃圾堆放三天无人清理。' } });
    expect(pushed.status).toBe(200);
    const answer = pushed.body.deliveries.at(-1).body;
    expect(answer).toMatchObject({ success: true, orderNo, duplicate: false });
    const id: string = answer.eventId;

    await act(tw, id, { type: 'accept' });
    await act(tw, id, { type: 'dispatch', unitCode: JG });
    await act(h, id, { type: 'return', reason: '不属于本平台职责，请改派' });
    await act(tw, id, { type: 'dispatch', unitCode: JG, note: '经核实属监管执法平台' });
    await act(h, id, { type: 'sign' });
    const until = new Date(Date.now() + 5 * 86400_000 + 8 * 3600_000).toISOString().slice(0, 10);
    await act(h, id, { type: 'request_extension', until, reason: '需协调环卫车辆，申请延期' });
    await act(tw, id, { type: 'approve_extension', pass: true });
    await act(h, id, { type: 'feedback', note: '垃圾已全部清运，并增设垃圾桶两个' });
    const closed = await act(tw, id, { type: 'verify', pass: true });
    expect(closed.status).toBe('closed');

    // each upward message once, in the county's order, with the order number and what the county wrote
    const kinds = ['12345-return', '12345-sign', '12345-delay', '12345-reply'];
    const got = await waitFor('the four upward messages at the province', async () => {
      const all = await Promise.all(kinds.map(received));
      return all.every((r) => r.distinct >= 1) ? all : null;
    }, 30_000);
    for (const r of got) expect(r.distinct).toBe(1);
    const [ret, sign, delay, reply] = got.map((r) => r.items[0]!.body);
    expect(ret).toMatchObject({ orderNo, returnReason: '不属于本平台职责，请改派' });
    expect(sign).toMatchObject({ orderNo });
    expect(delay).toMatchObject({ orderNo, delayReason: '需协调环卫车辆，申请延期' });
    expect(delay.delayDays).toBeGreaterThan(0);
    expect(reply).toMatchObject({ orderNo, replyContent: '垃圾已全部清运，并增设垃圾桶两个' });
    for (const m of [ret, sign, delay, reply]) expect(typeof m.messageId).toBe('string');
    const times = [ret.returnTime, sign.signTime, delay.applyTime, reply.replyTime];
    for (const t of times) expect(t).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect([...times].sort()).toEqual(times);
    // nothing failed on the way
    const rows = (await api.db.query(`SELECT kind, state FROM gateway_deliveries WHERE event_id = $1 AND kind LIKE 'hotline_%' ORDER BY id`, [id])).rows;
    expect(rows).toEqual([{ kind: 'hotline_return', state: 'done' }, { kind: 'hotline_sign', state: 'done' },
      { kind: 'hotline_delay', state: 'done' }, { kind: 'hotline_reply', state: 'done' }]);

    // the resident's 回访 comes down: 满意 lands on the event as its rating
    const visit = await sandbox.admin<Json>('POST', '/_sandbox/push-visit', { visit: { orderNo, visitResult: '满意' } });
    expect(visit.status).toBe(200);
    expect(visit.body.deliveries.at(-1).status).toBe(200);
    const ev = await tw.get(`/events/${id}`);
    expect(ev.body).toMatchObject({ status: 'closed', rating: 5, source: 'hotline12345' });
  });
});
