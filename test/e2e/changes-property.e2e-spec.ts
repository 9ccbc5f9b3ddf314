import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import pg from 'pg';
import type { ChangePage } from '#contracts';
import type { Actor, EventsService } from '#core';
import { dbUrl, newId, pointIn, startApi, waitFor } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

jest.setTimeout(240_000);

// Issue 7, outcome 1: the change feed under concurrency. Writers are plain connections that write timeline rows the way
// EventsRepository.applyTransition does (the xid column takes txid_current()), in transactions that open, write and end
// in an order fast-check chooses: a transaction that started first may commit last, row ids interleave across
// transactions, some roll back (whole or to a savepoint). Two readers (the county centre, who sees every event, and a
// township dispatcher, who sees only their township's) poll the feed between the steps and follow `nextCursor`. Over
// every schedule: each committed row reaches each reader that may see it exactly once, after its commit; a rolled-back
// row never; positions only grow.

const TOWNSHIP = '330523001';
const OTHER_TOWNSHIP = '330523105';
const COUNTY_READER = 'county.op';
const TOWNSHIP_READER = `tw.${TOWNSHIP}`;
/** Events written to: the first half inside the township reader's jurisdiction, the rest in another township. */
const EVENTS_PER_TOWNSHIP = 2;
/** The fixed seed: a failure prints it with the shrunk schedule and its path, so `seed` + `path` replay it. */
const SEED = 141_007;
/** Schedules read through HTTP (GET /api/v1/changes) and through the service object: 2,000 in all. */
const HTTP_RUNS = 150;
const SERVICE_RUNS = 1_850;
/** Page size when draining after a schedule (the polls between the steps use 1–4, so full pages are followed too). */
const DRAIN_LIMIT = 10;
/** How long a reader may wait for the horizon to pass a schedule's transactions (see readPast). */
const HORIZON_WAIT_MS = 60_000;

type Position = readonly [bigint, bigint];
const parse = (p: string): Position => {
  const [xid, id] = p.split('.');
  return [BigInt(xid!), BigInt(id!)];
};
const after = (a: Position, b: Position) => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);
const show = (p: Position) => `${p[0]}.${p[1]}`;

/** One way of reading the feed: through HTTP or the service object the controller calls. */
type FeedRead = (reader: Reader, cursor: string | undefined, limit: number) => Promise<ChangePage>;

interface Reader {
  username: string;
  actor: Actor;
  token: string;
  /** Event ids this reader may see. */
  sees: ReadonlySet<string>;
  cursor?: string;
  /** A failed schedule left it somewhere unknown: it catches up, unchecked, before the next schedule. */
  dirty?: boolean;
  /** The last position delivered to it, across every schedule of a property. */
  last?: Position;
  /** Positions delivered to it (the whole file): a second delivery is a failure. */
  delivered: Set<string>;
}

/** One written row, keyed by its position in the feed. */
interface Written {
  tx: Tx;
  eventId: string;
  /** Undone by ROLLBACK TO SAVEPOINT while its transaction went on. */
  undone: boolean;
}

interface Tx {
  state: 'waiting' | 'open' | 'committed' | 'rolled back';
  xid?: bigint;
  rows: string[];
}

// ---- the generated schedule ------------------------------------------------------------------------------------------

interface RowPlan { event: number; undone: boolean }
interface TxPlan { rows: RowPlan[]; takesXidAtBegin: boolean; commits: boolean }
interface ReadPlan { reader: 0 | 1; limit: number }
interface Schedule {
  txs: TxPlan[];
  /** picks[i] chooses which live transaction takes step i (modulo how many still have steps). */
  picks: number[];
  /** reads[i] is a poll after step i (reads[0]: before the first); about one gap in three has one. */
  reads: (ReadPlan | null)[];
}
const MAX_TXS = 5;
const MAX_ROWS = 3;
const MAX_STEPS = MAX_TXS * (MAX_ROWS + 2);

const scheduleArb: fc.Arbitrary<Schedule> = fc.record({
  txs: fc.array(fc.record({
    rows: fc.array(fc.record({
      event: fc.nat({ max: 2 * EVENTS_PER_TOWNSHIP - 1 }),
      undone: fc.nat({ max: 9 }).map((n) => n === 0),
    }), { minLength: 1, maxLength: MAX_ROWS }),
    // a transaction that takes its xid before writing gets a smaller xid than rows written (with smaller ids) meanwhile
    takesXidAtBegin: fc.boolean(),
    commits: fc.nat({ max: 4 }).map((n) => n > 0),
  }), { minLength: 2, maxLength: MAX_TXS }),
  picks: fc.array(fc.nat({ max: MAX_TXS * 4 }), { minLength: MAX_STEPS, maxLength: MAX_STEPS }),
  reads: fc.array(fc.oneof(
    { arbitrary: fc.constant(null), weight: 2 },
    { arbitrary: fc.record({ reader: fc.constantFrom(0 as const, 1 as const), limit: fc.integer({ min: 1, max: 4 }) }), weight: 1 },
  ), { minLength: MAX_STEPS + 1, maxLength: MAX_STEPS + 1 }),
});

type Step = { tx: number; op: 'begin' } | { tx: number; op: 'write'; row: RowPlan } | { tx: number; op: 'end' };

/** The schedule as one sequence of steps: each transaction's own steps stay in order, the picks interleave them. */
function interleave(s: Schedule): Step[] {
  const queues: Step[][] = s.txs.map((t, tx) => [{ tx, op: 'begin' as const },
    ...t.rows.map((row) => ({ tx, op: 'write' as const, row })), { tx, op: 'end' as const }]);
  const steps: Step[] = [];
  for (let i = 0; ; i++) {
    const live = queues.filter((q) => q.length > 0);
    if (live.length === 0) return steps;
    steps.push(live[s.picks[i]! % live.length]!.shift()!);
  }
}

// ---- the test --------------------------------------------------------------------------------------------------------

let api: ApiHarness;
let base: string;
let writers: pg.Client[];
let readers: [Reader, Reader];
const eventIds: string[] = [];
const written = new Map<string, Written>();
/** The highest transaction id any writer has had. */
let lastXid = 0n;
/** Coverage of the schedules run (asserted, so a generator change cannot quietly stop making the hard cases). */
const seen = { schedules: 0, rows: 0, delivered: 0, committedOutOfXidOrder: 0, readBehindOpenOlderTx: 0, idOrderNotFeedOrder: 0 };

const viaHttp: FeedRead = async (reader, cursor, limit) => {
  const qs = new URLSearchParams({ ...(cursor !== undefined ? { after: cursor } : {}), limit: String(limit) });
  const res = await fetch(`${base}/api/v1/changes?${qs}`, { headers: { Authorization: `Bearer ${reader.token}` } });
  if (res.status !== 200) throw new Error(`GET /changes as ${reader.username}: ${res.status} ${await res.text()}`);
  return (await res.json()) as ChangePage;
};
let viaService: FeedRead;

beforeAll(async () => {
  api = await startApi('changes_property');
  // a listening server, read with keep-alive fetch: supertest would open a listener per request
  await api.app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(api.app.getHttpServer().address() as AddressInfo).port}`;
  const core = await import('#core');
  const service = api.app.get(core.EventsService) as EventsService;
  viaService = (reader, cursor, limit) => service.changes(reader.actor, cursor, limit);

  const otherGrid = (await api.db.query(`SELECT min(code) AS code FROM regions WHERE level = 'grid' AND code LIKE $1 || '%'`,
    [OTHER_TOWNSHIP])).rows[0].code as string;
  const firstGrid = (await api.db.query(`SELECT min(code) AS code FROM regions WHERE level = 'grid' AND code LIKE $1 || '%'`,
    [TOWNSHIP])).rows[0].code as string;
  for (const grid of [firstGrid, otherGrid]) {
    for (let i = 0; i < EVENTS_PER_TOWNSHIP; i++) {
      const res = await (await api.as(`gw.${grid}`)).post('/events',
        { id: newId(), categoryCode: '0901', description: '路边暴露垃圾', location: await pointIn(api.db, grid) });
      expect(res.status).toBe(201);
      eventIds.push(res.body.id);
    }
  }
  const reader = async (username: string, sees: string[]): Promise<Reader> => {
    const { rows: [u] } = await api.db.query(`SELECT id, username, role, unit_code AS "unitCode", jurisdiction_code AS "jurisdictionCode"
      FROM users WHERE username = $1`, [username]);
    return { username, actor: { ...u, sessionId: '', mustChangePassword: false }, token: await api.token(username),
      sees: new Set(sees), delivered: new Set() };
  };
  readers = [await reader(COUNTY_READER, eventIds), await reader(TOWNSHIP_READER, eventIds.slice(0, EVENTS_PER_TOWNSHIP))];
  lastXid = BigInt((await api.db.query(`SELECT max(xid)::text AS x FROM event_actions`)).rows[0].x);
  // one connection per transaction of a schedule
  writers = await Promise.all(Array.from({ length: MAX_TXS }, async () => {
    const c = new pg.Client({ connectionString: dbUrl(api.dbName) });
    await c.connect();
    return c;
  }));
}, 120_000);

afterAll(async () => {
  await Promise.all((writers ?? []).map((c) => c.end()));
  await api?.close();
});

/** A timeline row written as applyTransition writes it (xid: the column's default, txid_current()). */
async function writeRow(c: pg.Client, eventId: string): Promise<{ id: string; xid: string }> {
  const { rows: [r] } = await c.query(
    `INSERT INTO event_actions (event_id, type, from_status, to_status, from_level, to_level, actor_id, actor_role, unit_code, note, data, attachment_ids, at)
     VALUES ($1, 'urge', 'reported', 'reported', 'township', 'township', NULL, 'system', NULL, NULL, '{}', '{}', now())
     RETURNING id::text AS id, xid::text AS xid`, [eventId]);
  if (BigInt(r.xid) > lastXid) lastXid = BigInt(r.xid);
  return r;
}

/** Reads one page and checks every item against what was written and what has committed by now. */
async function poll(read: FeedRead, reader: Reader, limit: number, txs: Tx[]): Promise<ChangePage> {
  // the situation the feed exists for: an older transaction still open while a newer one has committed
  const open = txs.filter((t) => t.state === 'open' && t.xid !== undefined);
  if (open.some((o) => txs.some((t) => t.state === 'committed' && t.xid! > o.xid!))) seen.readBehindOpenOlderTx++;

  const from = parse(reader.cursor!);
  const page = await read(reader, reader.cursor, limit);
  expect(page.items.length).toBeLessThanOrEqual(limit);
  for (const item of page.items) {
    const pos = parse(item.position);
    const w = written.get(item.position);
    const where = `${reader.username} got ${item.position} after ${show(from)}`;
    if (!w) throw new Error(`${where}: no such row was written by the test's writers`);
    if (w.tx.state !== 'committed') throw new Error(`${where}: its transaction is ${w.tx.state}`);
    if (w.undone) throw new Error(`${where}: the row was rolled back to a savepoint`);
    if (!txs.includes(w.tx)) throw new Error(`${where}: a row of an earlier schedule, delivered late`);
    if (!reader.sees.has(w.eventId)) throw new Error(`${where}: the event is outside ${reader.username}'s jurisdiction`);
    expect(item.event.id).toBe(w.eventId);
    if (reader.delivered.has(item.position)) throw new Error(`${where}: delivered twice`);
    if (reader.last && !after(pos, reader.last)) throw new Error(`${where}: not after the last delivered ${show(reader.last)}`);
    reader.delivered.add(item.position);
    reader.last = pos;
    seen.delivered++;
  }
  const next = parse(page.nextCursor);
  if (after(from, next)) throw new Error(`${reader.username}: the cursor went back from ${show(from)} to ${page.nextCursor}`);
  if (reader.last && after(reader.last, next)) throw new Error(`${reader.username}: cursor ${page.nextCursor} behind delivered ${show(reader.last)}`);
  reader.cursor = page.nextCursor;
  return page;
}

/**
 * Reads pages until the reader's cursor is past transaction `xid`. The horizon is the oldest transaction running anywhere
 * in the cluster, so another test's long transaction (a template build, in another database) can hold it back for
 * seconds: hence the long deadline, and the holders named if it passes.
 */
async function readPast(xid: bigint, reader: Reader, page: () => Promise<ChangePage>): Promise<void> {
  try {
    // waiting on one cheap query rather than on repeated reads of the feed
    await waitFor(`the horizon to pass transaction ${xid}`, async () => BigInt((await writers[0]!.query(
      `SELECT txid_snapshot_xmin(txid_current_snapshot())::text AS h`)).rows[0].h) > xid, HORIZON_WAIT_MS, 1);
    await waitFor(`${reader.username} to read past transaction ${xid}`, async () => {
      while ((await page()).items.length === DRAIN_LIMIT);
      return parse(reader.cursor!)[0] > xid;
    }, HORIZON_WAIT_MS, 1);
  } catch (err) {
    const { rows } = await api.db.query(`SELECT datname, backend_xid::text AS xid, now() - xact_start AS age, left(query, 100) AS query
      FROM pg_stat_activity WHERE backend_xid IS NOT NULL ORDER BY age(backend_xid) DESC LIMIT 3`);
    throw new Error(`${(err as Error).message}; cursor ${reader.cursor}; oldest running transactions: ${JSON.stringify(rows)}`);
  }
}

/**
 * Before a schedule: a reader's first read takes the head. After that first read, and after a failed schedule, the reader
 * reads on, unchecked, past every transaction written so far, so each schedule (a shrink step too) is judged on its own.
 */
async function ready(read: FeedRead, reader: Reader): Promise<void> {
  if (reader.cursor === undefined) {
    const head = await read(reader, undefined, 1);
    expect(head.items).toEqual([]);
    reader.cursor = head.nextCursor;
    // the head is the horizon: a transaction running elsewhere in the cluster may keep it behind rows already written
    reader.dirty = true;
  }
  if (reader.dirty) {
    await readPast(lastXid, reader, async () => {
      const page = await read(reader, reader.cursor, DRAIN_LIMIT);
      for (const item of page.items) reader.delivered.add(item.position);
      if (page.items.length) reader.last = parse(page.items[page.items.length - 1]!.position);
      reader.cursor = page.nextCursor;
      return page;
    });
    reader.dirty = false;
  }
}

/** Runs one schedule against the database, polling between the steps, then drains both readers and checks what they got. */
async function run(read: FeedRead, s: Schedule): Promise<void> {
  const txs: Tx[] = s.txs.map(() => ({ state: 'waiting', rows: [] }));
  const steps = interleave(s);
  const pollAt = async (i: number) => {
    const r = s.reads[i];
    if (r) await poll(read, readers[r.reader], r.limit, txs);
  };
  try {
    for (const reader of readers) await ready(read, reader);
    await pollAt(0);
    for (const [i, step] of steps.entries()) {
      const tx = txs[step.tx]!;
      const c = writers[step.tx]!;
      if (step.op === 'begin') {
        await c.query('BEGIN');
        tx.state = 'open';
        if (s.txs[step.tx]!.takesXidAtBegin) tx.xid = BigInt((await c.query(`SELECT txid_current()::text AS x`)).rows[0].x);
      } else if (step.op === 'write') {
        const eventId = eventIds[step.row.event]!;
        if (step.row.undone) await c.query('SAVEPOINT undo');
        const r = await writeRow(c, eventId);
        if (step.row.undone) await c.query('ROLLBACK TO SAVEPOINT undo');
        if (tx.xid !== undefined) expect(BigInt(r.xid)).toBe(tx.xid);
        tx.xid = BigInt(r.xid);
        const position = `${r.xid}.${r.id}`;
        written.set(position, { tx, eventId, undone: step.row.undone });
        tx.rows.push(position);
        seen.rows++;
      } else {
        const commits = s.txs[step.tx]!.commits;
        await c.query(commits ? 'COMMIT' : 'ROLLBACK');
        tx.state = commits ? 'committed' : 'rolled back';
      }
      await pollAt(i + 1);
    }
    // every transaction has ended: each reader reads on until its cursor is past all of them, then nothing committed
    // may be missing
    const last = txs.reduce((m, t) => (t.xid! > m ? t.xid! : m), 0n);
    await Promise.all(readers.map(async (reader) => {
      await readPast(last, reader, () => poll(read, reader, DRAIN_LIMIT, txs));
      const missing = txs.flatMap((t) => (t.state === 'committed' ? t.rows : []))
        .filter((p) => !written.get(p)!.undone && reader.sees.has(written.get(p)!.eventId) && !reader.delivered.has(p));
      if (missing.length) throw new Error(`${reader.username} never got ${missing.join(', ')}`);
    }));
  } catch (err) {
    // a failed check leaves no transaction open, and the readers catch up before the next schedule (a shrink step)
    await Promise.all(txs.map((t, i) => (t.state === 'open' ? writers[i]!.query('ROLLBACK') : undefined)));
    for (const reader of readers) reader.dirty = true;
    throw err;
  }

  seen.schedules++;
  const committed = txs.filter((t) => t.state === 'committed');
  const commitOrder = steps.filter((st) => st.op === 'end' && s.txs[st.tx]!.commits).map((st) => txs[st.tx]!.xid!);
  if (commitOrder.some((x, i) => i > 0 && x < commitOrder[i - 1]!)) seen.committedOutOfXidOrder++;
  const feedOrder = committed.flatMap((t) => t.rows).map(parse).sort((a, b) => (after(a, b) ? 1 : -1));
  if (feedOrder.some((p, i) => i > 0 && p[1] < feedOrder[i - 1]![1])) seen.idOrderNotFeedOrder++;
}

describe('change feed under concurrent, out-of-order commits (property)', () => {
  it('a change of a transaction already open when the reader read, older than one that committed, comes once it commits', async () => {
    const reader: Reader = { ...readers[0], cursor: undefined, last: undefined, delivered: new Set() };
    await ready(viaHttp, reader);
    const [older, newer] = writers as [pg.Client, pg.Client];
    const at = (r: { id: string; xid: string }) => `${r.xid}.${r.id}`;
    // the open transaction's row has the smaller id, or (having taken its xid first) the larger one
    for (const writesFirst of [true, false]) {
      await older.query('BEGIN');
      const early = writesFirst ? await writeRow(older, eventIds[0]!) : (await older.query(`SELECT txid_current()`), undefined);
      await newer.query('BEGIN');
      const committed = await writeRow(newer, eventIds[1]!);
      await newer.query('COMMIT');
      const late = early ?? await writeRow(older, eventIds[0]!);
      expect(BigInt(late.id) < BigInt(committed.id)).toBe(writesFirst);
      const during = await viaHttp(reader, reader.cursor, 500);
      // neither is read yet (the committed one sorts after the open one), and the cursor stays before the open one
      expect(during.items).toEqual([]);
      expect(after(parse(at(late)), parse(during.nextCursor))).toBe(true);
      await older.query('COMMIT');
      const got: string[] = [];
      let cursor = during.nextCursor;
      await waitFor('both changes', async () => {
        const page = await viaHttp(reader, cursor, 500);
        got.push(...page.items.map((i) => i.position));
        cursor = page.nextCursor;
        return got.length >= 2;
      }, HORIZON_WAIT_MS, 5);
      expect(got).toEqual([at(late), at(committed)]);
      expect((await viaHttp(reader, cursor, 500)).items).toEqual([]);
      reader.cursor = cursor;
    }
  });

  it('through HTTP: every committed change once, in order, after its commit; rolled-back ones never', async () => {
    const started = Date.now();
    await fc.assert(fc.asyncProperty(scheduleArb, (s) => run(viaHttp, s)), { numRuns: HTTP_RUNS, seed: SEED });
    console.info(`change feed via HTTP: ${seen.schedules} schedules, ${seen.rows} rows, ${seen.delivered} deliveries in ${Date.now() - started} ms`);
  });

  it('through the service: the same over thousands of schedules', async () => {
    const started = Date.now();
    const before = seen.schedules;
    await fc.assert(fc.asyncProperty(scheduleArb, (s) => run(viaService, s)), { numRuns: SERVICE_RUNS, seed: SEED + 1 });
    console.info(`change feed via service: ${seen.schedules - before} schedules in ${Date.now() - started} ms; coverage ${JSON.stringify(seen)}`);
    // the generated schedules did make the cases the feed exists for
    expect(seen.committedOutOfXidOrder).toBeGreaterThan(200);
    expect(seen.readBehindOpenOlderTx).toBeGreaterThan(200);
    expect(seen.idOrderNotFeedOrder).toBeGreaterThan(200);
  });
});
