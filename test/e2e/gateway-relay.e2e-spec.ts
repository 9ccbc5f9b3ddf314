import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { newId, pointIn, startApi, waitFor } from './support/harness.js';
import type { ApiHarness, UserClient } from './support/harness.js';
import { spawnWorker } from './support/processes.js';
import type { AppProcess } from './support/processes.js';
import { sandboxKeys, spawnSandbox } from './support/sandbox.js';
import type { SandboxProcess } from './support/sandbox.js';

jest.setTimeout(240_000);

// Issue 10, outcome 1: the outbox relay in apps/worker (built, a child process) delivers escalated events and their status
// changes to the province sandbox failing 30 % of calls with added latency; the worker is SIGKILLed mid-way and restarted;
// in the end every message was applied exactly once and in order per event, and a refused delivery was dead until an
// administrator replayed it. Every wait is a condition with a deadline.
//
// EVENTS escalated events (5 province messages and one 浙政钉 notice each: 6 messages an event) are written here through the
// API while the worker runs: the issue's 500 by default (about 45 s in all on the 2-core test machine, almost all of it
// writing the 3,500 reports and transitions through the API; the relay delivers the 3,003 messages within a second of the
// last write). RELAY_E2E_EVENTS sets another count.
const EVENTS = Number(process.env.RELAY_E2E_EVENTS ?? 500);
const LANES = 6;
const DIPU = '330523001';
const TW = `tw.${DIPU}`;
const DEPT = '330523-ZF';
/** The county-level steps after 上报到县: each is one province message (escalate included), dispatch also a work notice. */
const PROVINCE_PER_EVENT = 5;

let api: ApiHarness;
let sandbox: SandboxProcess;
const workers: AppProcess[] = [];
/** Per lane: a grid worker and a point in their grid. Lanes report in different grids: every event of one map cell would
 * make reports and transitions of different lanes deadlock on map_cell_counts (the map triggers' upserts; see the report). */
let reporters: { client: UserClient; at: { lng: number; lat: number } }[] = [];
let twc: UserClient;
let county: UserClient;
let dept: UserClient;
let admin: UserClient;
const keys = sandboxKeys();

const gatewayEnv = (extra: Record<string, string> = {}) => ({
  GATEWAY_ZWDD_BASE_URL: sandbox.url, GATEWAY_ZWDD_ACCESS_KEY: keys.zwdd.accessKey, GATEWAY_ZWDD_SECRET_KEY: keys.zwdd.secretKey,
  GATEWAY_ZWDD_TENANT_ID: '196729',
  GATEWAY_IRS_BASE_URL: sandbox.url, GATEWAY_IRS_ACCESS_KEY: keys.irs.accessKey, GATEWAY_IRS_SECRET_KEY: keys.irs.secretKey,
  // short calls, short backoff: a killed worker's leases (attempts × (timeout + max backoff) + 5 s) run out in ~8 s
  GATEWAY_TIMEOUT_MS: '1000', GATEWAY_MAX_ATTEMPTS: '3', GATEWAY_BACKOFF_BASE_MS: '20', GATEWAY_BACKOFF_MAX_MS: '200',
  GATEWAY_CONNECTIONS: '24',
  ...extra,
});

async function startWorker(extra: Record<string, string> = {}): Promise<AppProcess> {
  const w = await spawnWorker(gatewayEnv(extra));
  workers.push(w);
  return w;
}

async function act(c: UserClient, id: string, body: Record<string, unknown>): Promise<void> {
  const r = await c.post(`/events/${id}/actions`, body);
  if (r.status !== 200 && r.status !== 201) throw new Error(`${String(body.type)} on ${id}: ${r.status} ${JSON.stringify(r.body)}`);
}

/** Reported, accepted and escalated by the township (上报到县), then dispatched by the county to a department. */
async function escalated(lane = 0): Promise<string> {
  const id = newId();
  const { client, at } = reporters[lane]!;
  const r = await client.post('/events', { id, categoryCode: '0901', description: '跨部门事项，需县级协调', location: at });
  if (r.status !== 201) throw new Error(`report: ${r.status} ${JSON.stringify(r.body)}`);
  await act(twc, id, { type: 'accept' });
  await act(twc, id, { type: 'escalate', reason: '需县级部门' });
  await act(county, id, { type: 'dispatch', unitCode: DEPT });
  return id;
}

/** The rest of the county-level life of an event: signed, handled, verified (closed). */
async function handled(id: string): Promise<void> {
  await act(dept, id, { type: 'sign' });
  await act(dept, id, { type: 'feedback', note: '已处置' });
  await act(county, id, { type: 'verify', pass: true });
}

interface Stats { kinds: Record<string, { total: number; distinct: number; duplicates: number }>; events: { distinct: number; outOfOrder: number } }
const stats = async () => (await sandbox.admin<Stats>('GET', '/_sandbox/stats')).body;
const deliveries = async (where: string, params: unknown[] = []) =>
  (await api.db.query(`SELECT id::text, event_id AS "eventId", kind, state, attempts, last_status AS "lastStatus", last_error AS "lastError"
     FROM gateway_deliveries WHERE ${where} ORDER BY id`, params)).rows as { id: string; eventId: string; kind: string; state: string; attempts: number; lastStatus: number | null; lastError: string | null }[];

beforeAll(async () => {
  sandbox = await spawnSandbox(keys);
  api = await startApi('gateway_relay');
  // the department's handler has a 浙政钉 account: dispatches notify them and open a to-do (an unmapped unit's are skipped)
  await api.db.query(`UPDATE users SET zwdd_account_id = 'zwdd-relay-zf' WHERE username = $1`, [`h.${DEPT}`]);
  [twc, county, dept, admin] = await Promise.all([TW, 'county.op', `h.${DEPT}`, 'admin'].map((u) => api.as(u)));
  const grids = (await api.db.query(`SELECT code FROM regions WHERE level = 'grid' AND code LIKE $1 || '%' ORDER BY code LIMIT $2`, [DIPU, LANES])).rows;
  expect(grids).toHaveLength(LANES);
  reporters = await Promise.all(grids.map(async ({ code }: { code: string }) => ({ client: await api.as(`gw.${code}`), at: await pointIn(api.db, code) })));
}, 120_000);

afterAll(async () => {
  for (const w of workers) await w.stop('SIGKILL');
  await api?.close();
  await sandbox?.stop();
});

describe('gateway relay (issue 10, outcome 1)', () => {
  let refusedEvent = '';
  let refused: { id: string } = { id: '' };

  it('a refused delivery is dead, visible to an administrator, and holds back the later deliveries of its event only', async () => {
    // the province refuses every event report of this worker (no such interface: 401, final), 浙政钉 takes its notices
    const w1 = await startWorker({ GATEWAY_PROVINCE_EVENTS_PATH: '/restapi/prod/IC33000014100000000001/event/nowhere' });
    try {
      refusedEvent = await escalated();
      // escalate and dispatch routed (4 deliveries: two reports, the notice, the to-do), the first one dead
      const dead = await waitFor('the refused report dead', async () => {
        const r = await admin.get(`/admin/gateway-deliveries?state=dead&eventId=${refusedEvent}`);
        expect(r.status).toBe(200);
        return r.body.items.length > 0 && (await deliveries('event_id = $1', [refusedEvent])).length === 4 ? r.body.items : null;
      }, 30_000);
      expect(dead).toHaveLength(1);
      refused = dead[0];
      expect(dead[0]).toMatchObject({ kind: 'province_event', state: 'dead', lastStatus: 401, attempts: 1 });
      expect(dead[0].payload).toMatchObject({ eventId: refusedEvent, seq: 3, level: 'county', status: 'accepted' });
      // the dispatch's report and notice wait behind it (head of line per event), untried
      const later = await deliveries(`event_id = $1 AND id > $2`, [refusedEvent, dead[0].id]);
      expect(later.map((d) => [d.kind, d.state, d.attempts])).toEqual([['province_event', 'pending', 0], ['zwdd_notice', 'pending', 0], ['zwdd_todo', 'pending', 0]]);
      // another role sees none of it
      expect((await county.get('/admin/gateway-deliveries?state=dead')).status).toBe(403);
    } finally {
      // the next test needs this worker gone (it would make every report there dead too)
      await w1.stop('SIGTERM');
    }
  });

  it(`${EVENTS} escalated events and their status changes arrive once each, in order per event, across a SIGKILL of the worker`, async () => {
    expect((await sandbox.admin('POST', '/_sandbox/faults', { failRate: 0.3, latencyMs: 20 })).status).toBe(200);
    let worker = await startWorker();
    const started = Date.now();
    let killed = false;
    let next = 0;
    const ids: string[] = [];
    const expected = EVENTS * PROVINCE_PER_EVENT;
    const lane = async (n: number) => {
      while (next < EVENTS) {
        next++;
        const id = await escalated(n);
        ids.push(id);
        await handled(id);
        // SIGKILL mid-way: deliveries are being made (some leased, some waiting for a retry) and events still being written
        if (!killed && ids.length >= EVENTS / 3 && (await stats()).kinds['event-report']?.distinct > 0) {
          killed = true;
          await worker.stop('SIGKILL');
          worker = await startWorker();
        }
      }
    };
    await Promise.all(Array.from({ length: LANES }, (_, n) => lane(n)));
    expect(killed).toBe(true);
    const written = Date.now() - started;

    // the administrator replays the dead letter (the province path is right now): its event's deliveries go on
    const replay = await admin.post(`/admin/gateway-deliveries/${refused.id}/replay`, {});
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ id: refused.id, state: 'pending', attempts: 0 });
    expect((await admin.post(`/admin/gateway-deliveries/${refused.id}/replay`, {})).status).toBe(409);

    await waitFor('every delivery settled', async () => (await deliveries(`state = 'pending'`)).length === 0, 150_000, 250)
      .catch(async (e: Error) => { throw new Error(`${e.message}: ${JSON.stringify((await deliveries(`state = 'pending'`)).slice(0, 5))}\nneither done nor pending: ${JSON.stringify((await deliveries(`state NOT IN ('done', 'pending')`)).slice(0, 10))}\n${workers.map((w) => w.stderr().slice(-2000)).join('\n')}`); });
    const drained = Date.now() - started;

    const rows = await deliveries(`event_id = ANY($1::uuid[])`, [[...ids, refusedEvent]]);
    expect(rows.filter((r) => r.state !== 'done')).toEqual([]);
    expect(rows.filter((r) => r.kind === 'province_event')).toHaveLength(expected + 2);
    expect(rows.filter((r) => r.kind === 'zwdd_notice')).toHaveLength(EVENTS + 1);

    const s = await stats();
    // each message applied once (redeliveries after the kill and after lost answers are recognised by message id) …
    expect(s.kinds['event-report']!.distinct).toBe(expected + 2);
    expect(s.kinds['work-notice']!.distinct).toBe(EVENTS + 1);
    // … and never a lower seq after a higher one for an event
    expect(s.events).toEqual({ distinct: EVENTS + 1, outOfOrder: 0 });
    // the refused event's reports arrived in order too: seq 3 (escalate) … 4 (dispatch)
    const received = (await sandbox.admin<{ items: { body: { eventId: string; seq: number }; duplicate: boolean }[] }>('GET', '/_sandbox/received?kind=event-report&limit=100000')).body.items;
    expect(received.filter((r) => r.body.eventId === refusedEvent && !r.duplicate).map((r) => r.body.seq)).toEqual([3, 4]);
    const audit = await api.db.query(`SELECT username, target FROM audit_log WHERE action = 'gateway_delivery.replay'`);
    expect(audit.rows).toEqual([{ username: 'admin', target: refused.id }]);
    // eslint-disable-next-line no-console
    console.log(`gateway relay: ${EVENTS} events written in ${written} ms, all ${expected + EVENTS + 3} messages delivered after ${drained} ms; ` +
      `faults ${JSON.stringify((await sandbox.admin('GET', '/_sandbox/stats')).body.faultsInjected)}, redeliveries ${s.kinds['event-report']!.duplicates + s.kinds['work-notice']!.duplicates}`);
  });
});
