import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { idCheckCharacter } from '#contracts';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  GatewayHttp, RedisNonceStore, createGatewayClients, fromWorkOrder12345, loadGatewayConfig, signZwdd, verifyInbound, DEFAULT_12345_MAPPING,
} from '../../libs/core/src/gateway/index.js';
import type { GatewayClients, ResolvedGatewayConfig } from '../../libs/core/src/gateway/index.js';
import { freePort } from './support/processes.js';
import { sandboxKeys, spawnSandbox } from './support/sandbox.js';
import type { SandboxProcess } from './support/sandbox.js';

/*
 * The gateway clients of libs/core against the built province sandbox (a separate process with its own reading of the
 * signing spec), and the sandbox's pushes against libs/core's inbound verifier with the Redis nonce store.
 * Build first: npx tsc -p tsconfig.build.json.
 */
const keys = sandboxKeys();
const RUN = process.env.GRID141_TEST_RUN ?? `r${Date.now()}`;
const REDIS_PREFIX = `t_${RUN}_gateway_${process.pid}`;
let sandbox: SandboxProcess;
let clients: GatewayClients;
let config: ResolvedGatewayConfig;
let redis: Redis;

/** Retries kept short so the budget is spent in a test's time; the policy itself is what the unit tests pin down. */
const FAST = { timeoutMs: 600, retry: { maxAttempts: 4, baseMs: 10, maxMs: 80 } };

/** A county endpoint stand-in: verifies each push with libs/core's verifyInbound + RedisNonceStore, records it. */
interface Delivery { status: number; error?: string; orderNo?: string; headers: http.IncomingHttpHeaders; body: string; path: string }
const deliveries: Delivery[] = [];
let county: http.Server;
let countyUrl: string;

const idNumber = (first17: string) => first17 + idCheckCharacter(first17);

async function received(kind: string) {
  return (await sandbox.admin<{ total: number; distinct: number; duplicates: number; items: { messageId: string; duplicate: boolean; body: Record<string, unknown>; query: string }[] }>(
    'GET', `/_sandbox/received?kind=${kind}`)).body;
}

beforeAll(async () => {
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  const store = new RedisNonceStore(redis, REDIS_PREFIX);
  county = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
    req.on('end', () => {
      const url = new URL(req.url!, 'http://county');
      verifyInbound('zwdd', { method: req.method!, path: url.pathname, query: url.search, headers: req.headers, formBody: body }, {
        now: new Date(), skewSeconds: 90, store,
        secretOf: (ak) => (ak === keys.push.accessKey ? keys.push.secretKey : undefined),
      }).then((v) => {
        const order = fromWorkOrder12345(Object.fromEntries(new URLSearchParams(body)), DEFAULT_12345_MAPPING);
        deliveries.push({ status: v.ok ? 200 : 401, error: v.ok ? undefined : v.error, orderNo: order.ok ? order.value.orderNo : undefined, headers: req.headers, body, path: url.pathname });
        res.writeHead(v.ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v.ok ? { code: '0' } : { message: v.error }));
      }, (e: unknown) => { res.writeHead(500); res.end(String(e)); });
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => county.listen(port, '127.0.0.1', resolve));
  countyUrl = `http://127.0.0.1:${port}/api/v1/province/work-orders`;

  sandbox = await spawnSandbox(keys, { SANDBOX_PUSH_URL: countyUrl, SANDBOX_TIMEOUT_HOLD_MS: '5000' });
  config = loadGatewayConfig({
    GATEWAY_ZWDD_BASE_URL: sandbox.url, GATEWAY_ZWDD_ACCESS_KEY: keys.zwdd.accessKey, GATEWAY_ZWDD_SECRET_KEY: keys.zwdd.secretKey,
    GATEWAY_ZWDD_TENANT_ID: '196729',
    GATEWAY_IRS_BASE_URL: sandbox.url, GATEWAY_IRS_ACCESS_KEY: keys.irs.accessKey, GATEWAY_IRS_SECRET_KEY: keys.irs.secretKey,
  });
  clients = createGatewayClients(config, FAST);
});

afterAll(async () => {
  await clients?.close();
  await sandbox?.stop();
  await new Promise((r) => county?.close(r));
  if (redis) {
    const found = await redis.keys(`${REDIS_PREFIX}:*`);
    if (found.length > 0) await redis.del(...found);
    await redis.quit();
  }
});

describe('signed calls from the clients are accepted by the sandbox', () => {
  it('浙政钉: work notice, to-do create and finish', async () => {
    const bizMsgId = randomUUID();
    const notice = await clients.zwdd.workNotice({ bizMsgId, receiverIds: ['staff-1', 'staff-2'], text: '事件 E2026-0001 已派遣至您所在单位，请及时签收。' });
    expect(notice).toMatchObject({ ok: true, status: 200, attempts: 1 });
    const todo = await clients.zwdd.createTodo({ bizTaskId: `ev-1:staff-1:sign`, subject: '【待签收】路灯不亮', creatorId: 'grid141', assigneeId: 'staff-1',
      url: 'https://grid141.example/township', mobileUrl: 'https://grid141.example/grid', dueAt: new Date(Date.now() + 7200_000) });
    expect(todo).toMatchObject({ ok: true, body: { taskUuid: 'sbx-task-ev-1:staff-1:sign' } });
    expect(await clients.zwdd.finishTodo({ taskUuid: todo.ok ? todo.body.taskUuid : '', userId: 'staff-1' })).toMatchObject({ ok: true });

    const notices = await received('work-notice');
    const mine = notices.items.find((i) => i.messageId === bizMsgId)!;
    expect(mine.body).toMatchObject({ tenantId: '196729', receiverIds: 'staff-1,staff-2' });
    expect(JSON.parse(String(mine.body.msg))).toEqual({ msgtype: 'text', text: { content: '事件 E2026-0001 已派遣至您所在单位，请及时签收。' } });
    expect((await received('todo-finish')).distinct).toBe(1);
  });

  it('浙政钉 免登: an auth code exchanged for the user with the app token (fetched once, kept after a refused code), a used code refused', async () => {
    await sandbox.admin('DELETE', '/_sandbox/received');
    const codes = await Promise.all(['a', 'b'].map(async (x) =>
      (await sandbox.admin<{ authCode: string }>('POST', '/_sandbox/auth-code', { accountId: `acc-${x}`, employeeCode: `GE_${x}`, name: `测试用户${x}` })).body.authCode));
    expect(await clients.zwdd.userByAuthCode(codes[0])).toMatchObject({ ok: true, body: { accountId: 'acc-a', employeeCode: 'GE_a', name: '测试用户a', tenantId: '196729' } });
    expect(await clients.zwdd.userByAuthCode(codes[1])).toMatchObject({ ok: true, body: { accountId: 'acc-b' } });
    expect(await clients.zwdd.userByAuthCode(codes[0])).toMatchObject({ ok: false, reason: 'rejected', error: 'auth_code 无效或已使用', attempts: 1 });
    const tokens = await received('gettoken');
    expect(tokens.total).toBe(1);
    expect(tokens.items[0].query).toMatch(/appsecret=\*\*\*$/);
    // a refused code is the user's, not the token's: the next exchange uses the same app token
    const code = (await sandbox.admin<{ authCode: string }>('POST', '/_sandbox/auth-code', { accountId: 'acc-c' })).body.authCode;
    expect(await clients.zwdd.userByAuthCode(code)).toMatchObject({ ok: true, body: { accountId: 'acc-c' } });
    expect((await received('gettoken')).total).toBe(1);
  });

  it('IRS: person and enterprise lookups, with a non-ASCII query signed and verified the same on both sides', async () => {
    const id = idNumber('33052319900101123');
    const person = await clients.irs.lookupPerson(id);
    expect(person).toMatchObject({ ok: true, body: { idNumber: id, birthDate: '1990-01-01' } });
    expect(person.ok && person.body?.name).toMatch(/（测试）$/);
    // a valid-looking number with a wrong check digit: no record, not an error
    const wrong = id.slice(0, 17) + (id[17] === '0' ? '1' : '0');
    expect(await clients.irs.lookupPerson(wrong)).toMatchObject({ ok: true, body: null });
    expect(await clients.irs.lookupEnterprise('91330523MA2B3C4D5E')).toMatchObject({ ok: true, body: { creditCode: '91330523MA2B3C4D5E', status: '存续' } });

    const irsHttp = new GatewayHttp(config.irs!, FAST);
    try {
      const r = await irsHttp.send({ method: 'GET', path: config.irs!.personPath, query: { idNumber: id, purpose: '核查 信访件 #3 & 回访', 'z~key': "a+b!*'()" } });
      expect(r).toMatchObject({ ok: true, status: 200 });
    } finally { await irsHttp.close(); }
    const lookups = await received('irs-person');
    expect(lookups.items.at(-1)!.query).toContain('purpose=%E6%A0%B8%E6%9F%A5%20');
  });

  it('12345: 签收, 回复, 退单, 延期申请 arrive with DOMAIN 4.4 fields; provincial event report', async () => {
    const orderNo = 'ZJ12345-20261201-000042';
    const at = new Date('2026-12-01T06:30:00Z');
    const results = await Promise.all([
      clients.hotline12345.sign({ messageId: randomUUID(), orderNo, signTime: at, handleUnit: '330523001' }),
      clients.hotline12345.reply({ messageId: randomUUID(), orderNo, replyContent: '已修复路灯，并告知来电人。', replyTime: at }),
      clients.hotline12345.returnOrder({ messageId: randomUUID(), orderNo, returnReason: '非本单位职责，应由供电公司处理', returnTime: at }),
      clients.hotline12345.requestDelay({ messageId: randomUUID(), orderNo, delayReason: '需等待配件', delayDays: 3, applyTime: at }),
      clients.province.reportEvent({ messageId: randomUUID(), eventId: randomUUID(), eventCode: 'E330523-0001', seq: 3, status: 'dispatched',
        level: 'county', categoryCode: '0301', regionCode: '330523', changedAt: at }),
    ]);
    for (const r of results) expect(r).toMatchObject({ ok: true, status: 200 });
    expect((await received('12345-sign')).items[0].body).toMatchObject({ orderNo, signTime: '2026-12-01 14:30:00', handleUnit: '330523001' });
    expect((await received('12345-reply')).items[0].body).toMatchObject({ orderNo, replyContent: '已修复路灯，并告知来电人。' });
    expect((await received('12345-return')).items[0].body).toMatchObject({ orderNo, returnReason: '非本单位职责，应由供电公司处理' });
    expect((await received('12345-delay')).items[0].body).toMatchObject({ orderNo, delayReason: '需等待配件', delayDays: 3 });
    expect((await received('event-report')).items[0].body).toMatchObject({ eventCode: 'E330523-0001', seq: 3, changedAt: '2026-12-01T06:30:00.000Z' });
  });

  it('the sandbox notices a status change of an event arriving after a later one (per-event order)', async () => {
    await sandbox.admin('DELETE', '/_sandbox/received');
    const eventId = randomUUID();
    const report = (seq: number) => clients.province.reportEvent({ messageId: randomUUID(), eventId, eventCode: 'E-ORDER', seq, status: 'handling',
      level: 'county', categoryCode: '0301', regionCode: '330523', changedAt: new Date() });
    for (const seq of [1, 2, 4]) expect(await report(seq)).toMatchObject({ ok: true });
    const stats = async () => (await sandbox.admin<{ events: { distinct: number; outOfOrder: number } }>('GET', '/_sandbox/stats')).body.events;
    expect(await stats()).toEqual({ distinct: 1, outOfOrder: 0 });
    expect(await report(3)).toMatchObject({ ok: true });
    expect(await stats()).toEqual({ distinct: 1, outOfOrder: 1 });
    const page = (await sandbox.admin<{ total: number; items: { body: { seq: number } }[] }>('GET', '/_sandbox/received?kind=event-report&offset=1&limit=2')).body;
    expect([page.total, page.items.map((i) => i.body.seq)]).toEqual([4, [2, 4]]);
  });
});

describe('refusals carry the gateway text, are not retried, and record nothing', () => {
  const variants = (): { name: string; error: string; cfg: Record<string, string>; now?: () => Date }[] => [
    { name: 'bad signature', error: 'Invalid signature', cfg: { GATEWAY_IRS_SECRET_KEY: `${keys.irs.secretKey}x`, GATEWAY_ZWDD_SECRET_KEY: `${keys.zwdd.secretKey}x` } },
    { name: 'unknown key', error: 'Invalid access key', cfg: { GATEWAY_IRS_ACCESS_KEY: 'BCDSGA_stranger', GATEWAY_ZWDD_ACCESS_KEY: 'stranger' } },
    { name: 'expired date', error: 'Clock skew exceeded', cfg: {}, now: () => new Date(Date.now() - 91_000) },
  ];

  it.each(variants().map((v) => [v.name, v] as const))('%s', async (_name, v) => {
    await sandbox.admin('DELETE', '/_sandbox/received');
    const bad = loadGatewayConfig({
      GATEWAY_ZWDD_BASE_URL: sandbox.url, GATEWAY_ZWDD_ACCESS_KEY: keys.zwdd.accessKey, GATEWAY_ZWDD_SECRET_KEY: keys.zwdd.secretKey, GATEWAY_ZWDD_TENANT_ID: '196729',
      GATEWAY_IRS_BASE_URL: sandbox.url, GATEWAY_IRS_ACCESS_KEY: keys.irs.accessKey, GATEWAY_IRS_SECRET_KEY: keys.irs.secretKey,
      ...v.cfg,
    });
    const badClients = createGatewayClients(bad, { ...FAST, now: v.now });
    try {
      const results = [
        await badClients.zwdd.workNotice({ bizMsgId: randomUUID(), receiverIds: ['staff-1'], text: '测试' }),
        await badClients.irs.lookupPerson(idNumber('33052319900101123')),
        await badClients.hotline12345.sign({ messageId: randomUUID(), orderNo: 'ZJ1', signTime: new Date() }),
      ];
      for (const r of results) expect(r).toEqual({ ok: false, reason: 'rejected', retryable: false, status: 401, error: v.error, body: { message: v.error }, attempts: 1 });
    } finally { await badClients.close(); }
    const stats = (await sandbox.admin<{ kinds: Record<string, unknown>; refused: Record<string, number> }>('GET', '/_sandbox/stats')).body;
    expect(stats.kinds).toEqual({});
    expect(stats.refused).toEqual({ [v.error]: 3 });
  });

  it('a 浙政钉 request replayed with the same nonce is refused', async () => {
    await sandbox.admin('DELETE', '/_sandbox/received');
    const form = `tenantId=196729&receiverIds=staff-1&bizMsgId=${randomUUID()}&msg=%7B%7D`;
    const headers = { ...signZwdd({ method: 'POST', path: '/message/workNotification', params: form, accessKey: keys.zwdd.accessKey, secretKey: keys.zwdd.secretKey, date: new Date() }),
      'content-type': 'application/x-www-form-urlencoded' };
    const first = await fetch(`${sandbox.url}/message/workNotification`, { method: 'POST', headers, body: form });
    const replay = await fetch(`${sandbox.url}/message/workNotification`, { method: 'POST', headers, body: form });
    expect(first.status).toBe(200);
    expect([replay.status, await replay.json()]).toEqual([401, { message: 'Nonce has already been used' }]);
    expect((await received('work-notice')).total).toBe(1);
  });

  it('a 4xx answer from upstream is final too (a malformed credit code)', async () => {
    expect(await clients.irs.lookupEnterprise('not-a-code')).toMatchObject({ ok: false, reason: 'rejected', status: 400, error: '参数错误：creditCode', attempts: 1 });
  });
});

describe('faults: retries, the budget, exactly-once effect', () => {
  afterAll(async () => { await sandbox.admin('POST', '/_sandbox/faults', {}); });

  it('gives up after its budget on steady 5xx with a retryable (dead-letter-able) result', async () => {
    await sandbox.admin('DELETE', '/_sandbox/received');
    expect((await sandbox.admin('POST', '/_sandbox/faults', { failRate: 1 })).status).toBe(200);
    const r = await clients.province.reportEvent({ messageId: randomUUID(), eventId: randomUUID(), eventCode: 'E1', seq: 1, status: 'reported', level: 'county', categoryCode: '0301', regionCode: '330523', changedAt: new Date() });
    expect(r).toEqual({ ok: false, reason: 'exhausted', retryable: true, status: 503, error: 'Service unavailable (sandbox fault)', attempts: FAST.retry.maxAttempts });
    const stats = (await sandbox.admin<{ faultsInjected: { fail: number }; kinds: object }>('GET', '/_sandbox/stats')).body;
    expect(stats.faultsInjected.fail).toBe(FAST.retry.maxAttempts);
    expect(stats.kinds).toEqual({});
  });

  it('times out, retries, and the redeliveries of one message are applied once', async () => {
    await sandbox.admin('DELETE', '/_sandbox/received');
    await sandbox.admin('POST', '/_sandbox/faults', { timeoutRate: 1 });
    const messageId = randomUUID();
    const started = Date.now();
    const r = await clients.hotline12345.sign({ messageId, orderNo: 'ZJ-T', signTime: new Date() });
    expect(r).toMatchObject({ ok: false, reason: 'exhausted', retryable: true, attempts: FAST.retry.maxAttempts });
    expect(!r.ok && r.error).toMatch(/^timeout/);
    // each attempt waited for its own deadline, not for the sandbox's 5 s hold
    expect(Date.now() - started).toBeLessThan(FAST.retry.maxAttempts * (FAST.timeoutMs + FAST.retry.maxMs) + 2000);
    const got = await received('12345-sign');
    expect([got.total, got.distinct, got.duplicates]).toEqual([FAST.retry.maxAttempts, 1, FAST.retry.maxAttempts - 1]);
  });

  it('retries through mixed faults (latency, 5xx, timeouts, drops): every message arrives, each counted once', async () => {
    await sandbox.admin('DELETE', '/_sandbox/received');
    await sandbox.admin('POST', '/_sandbox/faults', { failRate: 0.3, timeoutRate: 0.1, dropRate: 0.1, latencyMs: 20 });
    // 20 attempts: a message fails them all with probability 0.43^20 ≈ 5e-8
    const patient = createGatewayClients(config, { timeoutMs: 600, retry: { maxAttempts: 20, baseMs: 5, maxMs: 50 } });
    try {
      const eventId = randomUUID();
      const ids = Array.from({ length: 30 }, () => randomUUID());
      const results = await Promise.all(ids.map((messageId, i) => patient.province.reportEvent({
        messageId, eventId: i < 10 ? eventId : randomUUID(), eventCode: `E${i}`, seq: i, status: 'handling', level: 'county', categoryCode: '0301', regionCode: '330523', changedAt: new Date() })));
      expect(results.filter((r) => !r.ok)).toEqual([]);
      expect(results.some((r) => r.ok && r.attempts > 1)).toBe(true);
      const got = await received('event-report');
      expect(got.distinct).toBe(30);
      expect(new Set(got.items.map((i) => i.messageId))).toEqual(new Set(ids));
      expect(got.total - got.duplicates).toBe(30);
      const stats = (await sandbox.admin<{ faultsInjected: Record<string, number> }>('GET', '/_sandbox/stats')).body;
      expect(stats.faultsInjected.fail + stats.faultsInjected.drop).toBeGreaterThan(0);
    } finally { await patient.close(); }
  });

  it('pushes a 12345 work order to the county signed as the province: duplicates verify, a captured push replayed is refused', async () => {
    await sandbox.admin('POST', '/_sandbox/faults', { duplicateRate: 1 });
    deliveries.length = 0;
    const push = (await sandbox.admin<{ orderNo: string; deliveries: { status: number }[] }>('POST', '/_sandbox/push-workorder', { order: { title: '井盖缺失（测试）', isUrgent: '1' } })).body;
    expect(push.deliveries.map((d) => d.status)).toEqual([200, 200]);
    expect(deliveries.map((d) => [d.status, d.orderNo, d.path])).toEqual([[200, push.orderNo, '/api/v1/province/work-orders'], [200, push.orderNo, '/api/v1/province/work-orders']]);
    expect(deliveries[0].headers['x-hmac-auth-nonce']).not.toBe(deliveries[1].headers['x-hmac-auth-nonce']);
    expect(new Set(deliveries.map((d) => d.orderNo)).size).toBe(1);
    expect(new URLSearchParams(deliveries[0].body).get('title')).toBe('井盖缺失（测试）');

    // a man in the middle sends the first delivery again, byte for byte
    const d = deliveries[0];
    const pick = (k: string) => String(d.headers[k.toLowerCase()]);
    const replay = await fetch(countyUrl, { method: 'POST', body: d.body, headers: {
      'content-type': 'application/x-www-form-urlencoded', apiKey: pick('apiKey'), 'X-Hmac-Auth-Timestamp': pick('X-Hmac-Auth-Timestamp'),
      'X-Hmac-Auth-Nonce': pick('X-Hmac-Auth-Nonce'), 'X-Hmac-Auth-Signature': pick('X-Hmac-Auth-Signature'), 'X-Hmac-Auth-Version': '1.0' } });
    expect([replay.status, await replay.json()]).toEqual([401, { message: 'Nonce has already been used' }]);
    // and with the body changed under the same headers: the signature no longer holds
    const forged = await fetch(countyUrl, { method: 'POST', body: d.body.replace(/title=[^&]*/, 'title=x'), headers: {
      'content-type': 'application/x-www-form-urlencoded', apiKey: pick('apiKey'), 'X-Hmac-Auth-Timestamp': pick('X-Hmac-Auth-Timestamp'),
      'X-Hmac-Auth-Nonce': `${pick('X-Hmac-Auth-Nonce')}1`, 'X-Hmac-Auth-Signature': pick('X-Hmac-Auth-Signature') } });
    expect([forged.status, await forged.json()]).toEqual([401, { message: 'Invalid signature' }]);
  });
});
