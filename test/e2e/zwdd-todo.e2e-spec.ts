import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { newId, pointIn, startApi, waitFor } from './support/harness.js';
import type { ApiHarness, UserClient } from './support/harness.js';
import { spawnWorker } from './support/processes.js';
import type { AppProcess } from './support/processes.js';
import { sandboxKeys, spawnSandbox } from './support/sandbox.js';
import type { SandboxProcess } from './support/sandbox.js';

// Issue 10: staff are told where they work, and categories flagged for the province flow up. The built worker's relay
// (a child process) against the province sandbox (another): a dispatch gives each mapped handler of the unit a 浙政钉 work
// notice and a to-do (待办), finished when the unit signs or the case leaves it (退回 and re-dispatched elsewhere); a unit
// with nobody mapped gets skipped deliveries with the reason, for the admin to see; a replayed to-do create is one to-do;
// a category an administrator flags 上报省平台 has its events reported to the province with every status change, in order,
// while an event of an unflagged category below county level is not. Every wait polls a condition with a deadline.
jest.setTimeout(180_000);

type Json = any;
const DIPU = '330523001';
const TW = `tw.${DIPU}`;
/** Lead unit with two mapped handlers (and a disabled one that must not be told), a supporting unit with one, one with none. */
const JG = `${DIPU}-JG`;
const ZFZD = `${DIPU}-ZFZD`;
const PCS = `${DIPU}-PCS`;
const FLAGGED = '0102';
const UNFLAGGED = '0901';

let api: ApiHarness;
let sandbox: SandboxProcess;
let worker: AppProcess;
let tw: UserClient;
let hJG: UserClient;
let hZFZD: UserClient;
let admin: UserClient;
let reporter: UserClient;
let at: { lng: number; lat: number };
const keys = sandboxKeys();
/** 浙政钉 account ids, unique per run (the sandbox outlives nothing, but the ids say whose they are). */
const acc = (name: string) => `zwdd-${name}-${keys.zwdd.accessKey.slice(5)}`;
const userIds: Record<string, string> = {};

interface SandboxTodo { taskUuid: string; bizTaskId: string; assigneeId: string; subject: string; url: string | null; state: 'open' | 'finished'; createdSeq: number; finishedSeq: number | null }
interface Received { seq: number; kind: string; messageId: string | null; duplicate: boolean; body: Json }

const todosOf = async (eventId: string) =>
  (await sandbox.admin<{ items: SandboxTodo[] }>('GET', '/_sandbox/todos')).body.items.filter((t) => t.url?.endsWith(`event=${eventId}`));
const received = async (kind: string) => (await sandbox.admin<{ items: Received[] }>('GET', `/_sandbox/received?kind=${kind}&limit=100000`)).body.items;
const deliveries = async (eventId: string) => (await api.db.query(
  `SELECT id::text, kind, message_id AS "messageId", state, last_error AS "lastError", payload FROM gateway_deliveries WHERE event_id = $1 ORDER BY id`, [eventId])).rows as
  { id: string; kind: string; messageId: string; state: string; lastError: string | null; payload: Json }[];

async function act(c: UserClient, id: string, body: Record<string, unknown>): Promise<void> {
  const r = await c.post(`/events/${id}/actions`, body);
  expect([body.type, r.status, r.body?.detail]).toEqual([body.type, 201, undefined]);
}

/** Reported by the grid worker, accepted by the township (受理); dispatched when `to` is given (派遣). */
async function event(category: string, to?: { unitCode: string; supportUnitCodes?: string[] }): Promise<string> {
  const id = newId();
  const r = await reporter.post('/events', { id, categoryCode: category, description: `浙政钉待办测试 ${category}`, location: at });
  expect(r.status).toBe(201);
  await act(tw, id, { type: 'accept' });
  if (to) await act(tw, id, { type: 'dispatch', ...to });
  return id;
}

/** True once the router has passed the event's latest timeline row (its cursor is at or after it in change-feed order). */
async function routedPast(eventId: string): Promise<boolean> {
  const r = await api.db.query(`SELECT (c.xid, c.action_id) >= (a.xid, a.id) AS past FROM gateway_relay_cursor c,
      (SELECT xid, id FROM event_actions WHERE event_id = $1 ORDER BY id DESC LIMIT 1) a WHERE c.name = 'gateway'`, [eventId]);
  return r.rows[0]?.past === true;
}

/** Every delivery of the event settled (none pending or dead). */
async function settled(eventId: string): Promise<boolean> {
  return (await routedPast(eventId)) && (await deliveries(eventId)).every((d) => d.state === 'done' || d.state === 'skipped');
}

const describeDeliveries = async (eventId: string) => `${JSON.stringify(await deliveries(eventId))}\n${worker.stderr().slice(-2000)}`;
async function until<T>(what: string, eventId: string, probe: () => Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  return waitFor(what, probe, ms, 100).catch(async (e: Error) => { throw new Error(`${e.message}\n${await describeDeliveries(eventId)}`); });
}

beforeAll(async () => {
  sandbox = await spawnSandbox(keys);
  api = await startApi('zwdd_todo');
  // who works where in 浙政钉: the demo's handlers of JG and ZFZD get account ids; JG gets a second handler and a disabled
  // third one (not told); PCS's handler has none
  const base = (await api.db.query(`SELECT password_hash, jurisdiction_code FROM users WHERE username = $1`, [`h.${JG}`])).rows[0];
  for (const [username, disabled] of [[`h2.${JG}`, false], [`h3.${JG}`, true]] as const) {
    await api.db.query(`INSERT INTO users (id, username, display_name, password_hash, role, unit_code, jurisdiction_code, disabled)
      VALUES (gen_random_uuid(), $1, $2, $3, 'handler', $4, $5, $6)`, [username, `${username}处置人员`, base.password_hash, JG, base.jurisdiction_code, disabled]);
  }
  for (const [username, account] of [[`h.${JG}`, acc('JG-1')], [`h2.${JG}`, acc('JG-2')], [`h3.${JG}`, acc('JG-off')], [`h.${ZFZD}`, acc('ZFZD-1')]]) {
    const r = await api.db.query(`UPDATE users SET zwdd_account_id = $2 WHERE username = $1 RETURNING id`, [username, account]);
    userIds[account!] = r.rows[0].id;
  }
  worker = await spawnWorker({
    GATEWAY_ZWDD_BASE_URL: sandbox.url, GATEWAY_ZWDD_ACCESS_KEY: keys.zwdd.accessKey, GATEWAY_ZWDD_SECRET_KEY: keys.zwdd.secretKey,
    GATEWAY_ZWDD_TENANT_ID: '196729',
    GATEWAY_IRS_BASE_URL: sandbox.url, GATEWAY_IRS_ACCESS_KEY: keys.irs.accessKey, GATEWAY_IRS_SECRET_KEY: keys.irs.secretKey,
    GATEWAY_TIMEOUT_MS: '2000', GATEWAY_BACKOFF_BASE_MS: '20', GATEWAY_BACKOFF_MAX_MS: '200',
  });
  [tw, hJG, hZFZD, admin] = await Promise.all([TW, `h.${JG}`, `h.${ZFZD}`, 'admin'].map((u) => api.as(u)));
  const grid = (await api.db.query(`SELECT code FROM regions WHERE level = 'grid' AND code LIKE $1 || '%' ORDER BY code LIMIT 1`, [DIPU])).rows[0].code;
  reporter = await api.as(`gw.${grid}`);
  at = await pointIn(api.db, grid);
}, 120_000);

afterAll(async () => {
  await worker?.stop('SIGKILL');
  await sandbox?.stop();
  await api?.close();
});

/** The first test's event: an unflagged category, below county level, closed. */
let unflagged = '';

describe('浙政钉 notices and to-dos for the handlers of a unit (issue 10)', () => {
  it('dispatch: each mapped handler of the lead and supporting units gets a notice and a to-do; signing finishes the lead unit\'s', async () => {
    const id = await event(UNFLAGGED, { unitCode: JG, supportUnitCodes: [ZFZD] });
    unflagged = id;
    const created = await until('three to-dos open in 浙政钉', id, async () => { const t = await todosOf(id); return t.length === 3 && t; });
    expect(created.map((t) => [t.assigneeId, t.state]).sort()).toEqual([[acc('JG-1'), 'open'], [acc('JG-2'), 'open'], [acc('ZFZD-1'), 'open']]);
    expect(created.find((t) => t.assigneeId === acc('JG-1'))!.subject).toMatch(/^【待签收】/);
    expect(created.find((t) => t.assigneeId === acc('ZFZD-1'))!.subject).toMatch(/^【协办】/);
    expect(created[0]!.url).toBe(`/township/?event=${id}`);

    // one notice per unit, to its people (never the disabled one, never the unit code), and the delivery records who
    const [dispatch] = (await api.db.query(`SELECT id::text FROM event_actions WHERE event_id = $1 AND type = 'dispatch'`, [id])).rows;
    const notices = await until('the notices received', id, async () => {
      const n = (await received('work-notice')).filter((r) => String(r.messageId).startsWith(`zwdd_notice:${dispatch.id}:`));
      return n.length === 2 && n;
    });
    expect(Object.fromEntries(notices.map((n) => [n.messageId, n.body.receiverIds]))).toEqual({
      [`zwdd_notice:${dispatch.id}:${JG}`]: `${acc('JG-1')},${acc('JG-2')}`, [`zwdd_notice:${dispatch.id}:${ZFZD}`]: acc('ZFZD-1') });
    expect(JSON.parse(notices[0]!.body.msg).text.content).toContain('【新派遣事件】');
    const rows = await deliveries(id);
    expect(rows.find((d) => d.messageId === `zwdd_notice:${dispatch.id}:${JG}`)!.payload.receivers).toEqual([
      { userId: userIds[acc('JG-1')], accountId: acc('JG-1') }, { userId: userIds[acc('JG-2')], accountId: acc('JG-2') }]);

    await act(hJG, id, { type: 'sign' });
    // finished in 浙政钉, and recorded (the finish delivery settled)
    const after = await until('the lead unit\'s to-dos finished', id, async () => {
      const t = await todosOf(id);
      return t.filter((x) => x.state === 'finished').length === 2 && (await settled(id)) && t;
    });
    expect(after.filter((t) => t.state === 'open').map((t) => t.assigneeId)).toEqual([acc('ZFZD-1')]);
    for (const t of after.filter((x) => x.state === 'finished')) expect(t.finishedSeq!).toBeGreaterThan(t.createdSeq);
    const table = (await api.db.query(`SELECT account_id AS "accountId", state, task_uuid AS "taskUuid", zwdd_finished_at IS NOT NULL AS "finishedThere"
      FROM zwdd_todos WHERE event_id = $1`, [id])).rows;
    const byAccount = (a: { accountId: string }, b: { accountId: string }) => (a.accountId < b.accountId ? -1 : 1);
    expect(table.sort(byAccount)).toEqual(after.map((t) => ({ accountId: t.assigneeId, state: t.state, taskUuid: t.taskUuid, finishedThere: t.state === 'finished' }))
      .sort(byAccount));

    // handled (反馈): the case leaves the supporting unit too; closed; nothing left open, nothing dead
    await act(hJG, id, { type: 'feedback', note: '已处置' });
    await act(tw, id, { type: 'verify', pass: true });
    await until('every delivery of the event settled', id, () => settled(id));
    expect((await todosOf(id)).map((t) => t.state)).toEqual(['finished', 'finished', 'finished']);
    expect((await deliveries(id)).filter((d) => d.state !== 'done').map((d) => d.kind)).toEqual([]);
  });

  it('returned and re-dispatched to another unit: the first unit\'s to-dos are finished, the new unit\'s created', async () => {
    const id = await event(UNFLAGGED, { unitCode: JG });
    await until('the first unit\'s to-dos', id, async () => (await todosOf(id)).length === 2);
    await act(hJG, id, { type: 'return', reason: '非本单位职责' });
    await act(tw, id, { type: 'dispatch', unitCode: ZFZD });
    const todos = await until('JG\'s finished and ZFZD\'s open', id, async () => {
      const t = await todosOf(id);
      return t.length === 3 && t.filter((x) => x.state === 'finished').length === 2 && t;
    });
    expect(todos.filter((t) => t.state === 'open').map((t) => t.assigneeId)).toEqual([acc('ZFZD-1')]);
    expect(todos.filter((t) => t.state === 'finished').map((t) => t.assigneeId).sort()).toEqual([acc('JG-1'), acc('JG-2')]);
    // the finishes came before the new unit's to-do (the event's order), and each after its own create
    const created = todos.find((t) => t.state === 'open')!.createdSeq;
    for (const t of todos.filter((x) => x.state === 'finished')) {
      expect(t.finishedSeq!).toBeGreaterThan(t.createdSeq);
      expect(t.finishedSeq!).toBeLessThan(created);
    }
    await act(hZFZD, id, { type: 'sign' });
    await until('ZFZD\'s to-do finished', id, async () => (await todosOf(id)).every((t) => t.state === 'finished'));
  });

  it('a replayed to-do create (the answer lost, delivered again with its id) is still one to-do', async () => {
    const id = await event(UNFLAGGED, { unitCode: ZFZD });
    await until('the to-do', id, async () => (await todosOf(id)).length === 1 && settled(id));
    const create = (await deliveries(id)).find((d) => d.kind === 'zwdd_todo')!;
    const before = (await received('todo-create')).filter((r) => r.messageId === create.messageId);
    expect(before.map((r) => r.duplicate)).toEqual([false]);
    // what a worker killed between the gateway's answer and recording it leaves: the delivery due again
    await api.db.query(`UPDATE gateway_deliveries SET state = 'pending', done_at = NULL, next_attempt_at = now() WHERE id = $1`, [create.id]);
    await until('the create delivered again', id, async () => (await received('todo-create')).filter((r) => r.messageId === create.messageId).length === 2
      && (await deliveries(id)).find((d) => d.id === create.id)!.state === 'done');
    expect((await received('todo-create')).filter((r) => r.messageId === create.messageId).map((r) => r.duplicate)).toEqual([false, true]);
    expect((await todosOf(id)).map((t) => [t.bizTaskId, t.state])).toEqual([[create.messageId, 'open']]);
    expect((await api.db.query(`SELECT count(*)::int AS n FROM zwdd_todos WHERE event_id = $1`, [id])).rows[0].n).toBe(1);
    await act(hZFZD, id, { type: 'sign' });
    await until('finished once', id, async () => (await todosOf(id))[0]!.state === 'finished');
  });

  it('a unit with nobody mapped: its notice and to-do are skipped with the reason, for the admin to see; nothing waits on them', async () => {
    const id = await event(UNFLAGGED, { unitCode: PCS });
    await until('routed and settled', id, () => settled(id));
    const r = await admin.get(`/admin/gateway-deliveries?eventId=${id}&state=skipped`);
    expect(r.status).toBe(200);
    expect(r.body.items.map((d: Json) => d.kind).sort()).toEqual(['zwdd_notice', 'zwdd_todo']);
    for (const d of r.body.items) expect(d.lastError).toMatch(new RegExp(`unit ${PCS} has no active .* 浙政钉 account`));
    expect((await deliveries(id)).map((d) => d.state)).toEqual(['skipped', 'skipped']);
    expect(await todosOf(id)).toEqual([]);
    // the case goes on; its later changes are routed (and deliver nothing upward: the category is not flagged)
    await act(await api.as(`h.${PCS}`), id, { type: 'sign' });
    await until('the sign routed', id, () => settled(id));
    expect((await deliveries(id)).map((d) => d.state)).toEqual(['skipped', 'skipped']);
  });
});

describe('categories flagged for the province (上报省平台, issue 10)', () => {
  it('an admin flags a category (audited); its events reach the province with every status change in order; an unflagged one does not', async () => {
    // an event of the category already open before the flag is set: reported from its next change on
    const before = await event(FLAGGED);
    await until('the open event routed before the flag', before, () => routedPast(before));
    expect((await admin.get('/admin/categories')).body.items.find((c: Json) => c.code === FLAGGED)).toMatchObject({ reportToProvince: false });
    const flag = await api.http().patch(`/api/v1/admin/categories/${FLAGGED}`).set('Authorization', `Bearer ${await api.token('admin')}`).send({ reportToProvince: true });
    expect([flag.status, flag.body.reportToProvince]).toEqual([200, true]);
    const bad = await api.http().patch(`/api/v1/admin/categories/${FLAGGED}`).set('Authorization', `Bearer ${await api.token('admin')}`).send({ reportToProvince: 'yes' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('reportToProvince');
    const denied = await api.http().patch(`/api/v1/admin/categories/${FLAGGED}`).set('Authorization', `Bearer ${await api.token(TW)}`).send({ reportToProvince: false });
    expect(denied.status).toBe(403);
    const audit = (await api.db.query(`SELECT detail FROM audit_log WHERE action = 'category.update' AND target = $1 ORDER BY id`, [FLAGGED])).rows;
    expect(audit.map((a) => [a.detail.before.reportToProvince, a.detail.after.reportToProvince])).toEqual([[false, true]]);

    // a new event of the flagged category: reported, accepted, dispatched, signed, handled, closed — six reports, seq 1…6
    const id = await event(FLAGGED, { unitCode: JG });
    await act(hJG, id, { type: 'sign' });
    await act(hJG, id, { type: 'feedback', note: '已调解' });
    await act(tw, id, { type: 'verify', pass: true });
    await act(tw, before, { type: 'dispatch', unitCode: JG });
    const reports = await until('six reports of the flagged event', id, async () => {
      const r = (await received('event-report')).filter((x) => x.body.eventId === id && !x.duplicate);
      return r.length === 6 && r;
    });
    expect(reports.map((r) => [r.body.seq, r.body.status, r.body.level, r.body.categoryCode])).toEqual([
      [1, 'reported', 'township', FLAGGED], [2, 'accepted', 'township', FLAGGED], [3, 'dispatched', 'township', FLAGGED],
      [4, 'handling', 'township', FLAGGED], [5, 'handled', 'township', FLAGGED], [6, 'closed', 'township', FLAGGED]]);
    // the event open before the flag: from its next change (the dispatch, seq 3) on
    const earlier = await until('the earlier event\'s dispatch reported', before, async () => {
      const r = (await received('event-report')).filter((x) => x.body.eventId === before && !x.duplicate);
      return r.length === 1 && r;
    });
    expect(earlier.map((r) => [r.body.seq, r.body.status])).toEqual([[3, 'dispatched']]);
    // cleared again: an event the province already has is followed to its end, a new one is not reported
    const clear = await api.http().patch(`/api/v1/admin/categories/${FLAGGED}`).set('Authorization', `Bearer ${await api.token('admin')}`).send({ reportToProvince: false });
    expect([clear.status, clear.body.reportToProvince]).toEqual([200, false]);
    const after = await event(FLAGGED);
    await act(hJG, before, { type: 'sign' });
    await until('the followed event\'s sign reported', before, async () => (await received('event-report')).filter((x) => x.body.eventId === before && !x.duplicate).length === 2);
    await until('the new event routed', after, () => settled(after));

    // the event of the unflagged category below county level (the first test's): routed, and never reported
    expect(await routedPast(unflagged)).toBe(true);
    for (const e of [unflagged, after]) {
      expect((await deliveries(e)).filter((d) => d.kind === 'province_event')).toEqual([]);
      expect((await received('event-report')).filter((x) => x.body.eventId === e)).toEqual([]);
    }
    const stats = (await sandbox.admin<{ events: { outOfOrder: number } }>('GET', '/_sandbox/stats')).body;
    expect(stats.events.outOfOrder).toBe(0);
  });
});
