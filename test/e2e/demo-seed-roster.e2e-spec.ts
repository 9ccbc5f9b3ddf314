import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type pg from 'pg';
import { bindDemoZwddAccounts, demoRoster, idCheckCharacter, idNumberProblem, maskIdNumber, maskPhone, phoneProblem, PiiCipher, Problem, RosterService, seedDemoUsers, SEED_AUTHOR } from '#core';
import type { Queryable } from '#core';
import { authRoutes, startApi } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

// Issue 11: "The demo seed creates its accounts through this same import" — the roster import of the administration.
jest.setTimeout(120_000);

const COUNTY = '330523';
const GRID = '330523001002001';

let api: ApiHarness;
let pii: PiiCipher;
let roster: Awaited<ReturnType<typeof demoRoster>>;

/** Statements of one client as the seed's Queryable (rows, as TypeORM returns them). */
const queryable = (c: pg.PoolClient): Queryable => ({ query: async (text: string, params?: unknown[]) => (await c.query(text, params)).rows });

/** Runs `fn` in one transaction of the test database, as the seed-demo command does; rolled back when it throws. */
async function inTransaction<T>(fn: (db: Queryable) => Promise<T>): Promise<T> {
  const c = await api.db.connect();
  try {
    await c.query('BEGIN');
    const result = await fn(queryable(c));
    await c.query('COMMIT');
    return result;
  } catch (err) {
    await c.query('ROLLBACK');
    throw err;
  } finally {
    c.release();
  }
}

/** Every user row, as one fingerprint (ids, names, placement, password hashes, encrypted data). */
const usersFingerprint = async () => (await api.db.query(`SELECT count(*)::int AS n, md5(string_agg(u::text, '|' ORDER BY id)) AS h FROM users u`)).rows[0];

beforeAll(async () => {
  api = await startApi('demo_seed_roster');
  // the key the template's demo accounts were seeded with (the harness gives every file of a run the template's key)
  pii = new PiiCipher(process.env.PII_KEY!);
  roster = await inTransaction((db) => demoRoster(db, COUNTY));
}, 120_000);
afterAll(async () => { await api?.close(); });

describe('demo seed through the roster import', () => {
  it('the roster holds the demo accounts with valid, unique, synthetic personal data', () => {
    const names = roster.map((a) => a.username);
    for (const u of ['admin', 'county.op', 'county.lead', 'tw.330523001', 'h.330523001-JG', `gw.${GRID}`, `h.${COUNTY}-ZF`]) {
      expect(names).toContain(u);
    }
    expect(new Set(names).size).toBe(roster.length);
    expect(roster.length).toBeGreaterThan(300);
    for (const { row } of roster) {
      expect(phoneProblem(row.phone)).toBeNull();
      expect(idNumberProblem(row.idNumber)).toBeNull();
      expect(row.phone).toMatch(/^1990141\d{4}$/);
      expect(row.idNumber.slice(0, 6)).toBe(COUNTY);
    }
    expect(new Set(roster.map((a) => a.row.phone)).size).toBe(roster.length);
    expect(new Set(roster.map((a) => a.row.idNumber)).size).toBe(roster.length);
  });

  it('every demo account carries the import\'s encrypted phone and ID number, and nothing in clear text', async () => {
    const users = (await api.db.query(`SELECT username, display_name, role, phone_enc, phone_index, id_number_enc, id_number_index, must_change_password FROM users`)).rows;
    const byName = new Map(users.map((u) => [u.username as string, u]));
    for (const { username, row } of roster) {
      const u = byName.get(username);
      expect(u).toBeDefined();
      expect(u.display_name).toBe(row.name);
      expect(u.must_change_password).toBe(false);
      expect(pii.decrypt('phone', u.phone_enc)).toBe(row.phone);
      expect(pii.decrypt('id_number', u.id_number_enc)).toBe(row.idNumber);
      expect(u.phone_index.equals(pii.index('phone', row.phone))).toBe(true);
      expect(u.id_number_index.equals(pii.index('id_number', row.idNumber))).toBe(true);
    }
    const sample = roster.find((a) => a.username === `gw.${GRID}`)!.row;
    const clear = await api.db.query(`SELECT count(*)::int AS n FROM users u WHERE u::text LIKE '%' || $1 || '%' OR u::text LIKE '%' || $2 || '%'`,
      [sample.phone, sample.idNumber]);
    expect(clear.rows[0].n).toBe(0);
  });

  it('the import\'s audit trail: one roster.import by the seed, a user.create from the roster for every account', async () => {
    const imports = (await api.db.query(`SELECT actor_id, outcome, detail FROM audit_log WHERE action = 'roster.import' AND username = $1`, [SEED_AUTHOR])).rows;
    expect(imports).toHaveLength(1);
    expect(imports[0]).toMatchObject({ actor_id: null, outcome: 'ok', detail: { source: SEED_AUTHOR, rows: roster.length, created: roster.length, updated: 0, unchanged: 0 } });
    const creates = (await api.db.query(
      `SELECT u.username, a.detail FROM audit_log a JOIN users u ON u.id::text = a.target WHERE a.action = 'user.create' AND a.username = $1`, [SEED_AUTHOR])).rows;
    expect(creates).toHaveLength(roster.length);
    const gw = creates.find((c) => c.username === `gw.${GRID}`)!;
    const row = roster.find((a) => a.username === `gw.${GRID}`)!.row;
    // before/after as the import writes it: personal data masked
    expect(gw.detail).toMatchObject({ source: 'roster', before: null,
      after: { username: `gw.${GRID}`, role: 'grid_worker', unitCode: `${GRID}-WG`, jurisdictionCode: GRID, phone: maskPhone(row.phone), idNumber: maskIdNumber(row.idNumber) } });
    expect(JSON.stringify(creates)).not.toContain(row.phone);
  });

  it('the demo accounts log in with the demo password; the admin API shows their personal data masked', async () => {
    for (const u of ['tw.330523001', `gw.${GRID}`, 'h.330523001-JG', 'county.lead']) {
      const res = await authRoutes(api).login(u);
      expect(res.status).toBe(200);
      expect(res.body.user).toMatchObject({ username: u, mustChangePassword: false });
    }
    const admin = await api.as('admin');
    const found = await admin.post('/admin/users/lookup', { phone: roster.find((a) => a.username === 'tw.330523001')!.row.phone });
    expect(found.status).toBe(200);
    expect(found.body.items).toHaveLength(1);
    expect(found.body.items[0]).toMatchObject({ username: 'tw.330523001', phone: expect.stringMatching(/^199\*{4}\d{4}$/), idNumber: expect.stringMatching(/^330523\*{8}[\dX]{4}$/) });
  });

  it('seeding again changes no account (the import finds each one unchanged) and logs the run', async () => {
    const before = await usersFingerprint();
    const n = await inTransaction((db) => seedDemoUsers(db, COUNTY, { pii, passwordHash: 'never-used: no account is created' }));
    expect(n).toBe(roster.length);
    expect(await usersFingerprint()).toEqual(before);
    const last = (await api.db.query(`SELECT detail FROM audit_log WHERE action = 'roster.import' AND username = $1 ORDER BY id DESC LIMIT 1`, [SEED_AUTHOR])).rows[0];
    expect(last.detail).toMatchObject({ created: 0, updated: 0, unchanged: roster.length });
  });

  it('an account seeded before the demo had personal data is found by its username and given it, not duplicated', async () => {
    const username = 'h.330523001-JG';
    await api.db.query(`UPDATE users SET phone_enc = NULL, phone_index = NULL, id_number_enc = NULL, id_number_index = NULL WHERE username = $1`, [username]);
    const { id } = (await api.db.query(`SELECT id FROM users WHERE username = $1`, [username])).rows[0];
    const count = (await usersFingerprint()).n;
    await inTransaction((db) => seedDemoUsers(db, COUNTY, { pii, passwordHash: 'never-used' }));
    expect((await usersFingerprint()).n).toBe(count);
    const u = (await api.db.query(`SELECT id, phone_enc FROM users WHERE username = $1`, [username])).rows[0];
    expect(u.id).toBe(id);
    expect(pii.decrypt('phone', u.phone_enc)).toBe(roster.find((a) => a.username === username)!.row.phone);
    const update = (await api.db.query(`SELECT detail FROM audit_log WHERE action = 'user.update' AND target = $1 AND username = $2`, [id, SEED_AUTHOR])).rows;
    expect(update).toHaveLength(1);
    expect(update[0].detail).toMatchObject({ source: 'roster', before: { phone: null }, after: { phone: expect.stringMatching(/^199\*{4}/) } });
  });

  it('the seed goes through the import\'s checks: a bad row writes nothing and names the row and the column', async () => {
    const seeder = (db: Queryable) => new RosterService(undefined as never, { record: async () => undefined } as never, { countyCode: COUNTY } as never, pii)
      .importForSeed({ query: async (t, p) => db.query(t, p), exec: async () => { throw new Error('unused'); } }, rows, { usernames: rows.map((_, i) => `gw.seedcheck.${i}`), passwordHash: 'x' });
    const good = roster.find((a) => a.username === `gw.${GRID}`)!.row;
    const wrongCheck = `${good.idNumber.slice(0, 17)}${good.idNumber[17] === '0' ? '1' : '0'}`;
    const rows = [{ ...good, phone: '19901419998', idNumber: wrongCheck }, { ...good, phone: '19901419999', idNumber: `33052319700101123${idCheckCharacter('33052319700101123')}`, place: '330523999999999' }];
    const before = await usersFingerprint();
    const err = await inTransaction(seeder).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(Problem);
    const fields = (err as Problem).errors?.map((e) => e.field) ?? [];
    expect(fields).toEqual(expect.arrayContaining(['row 2: 身份证号', 'row 3: 所属网格/单位']));
    expect(await usersFingerprint()).toEqual(before);
  });

  it('the demo with the sandbox binds every enabled account to demo-<username>, keeps existing bindings, audits it, and is idempotent', async () => {
    await api.db.query(`UPDATE users SET zwdd_account_id = 'real-account-1' WHERE username = 'county.op'`);
    await api.db.query(`UPDATE users SET disabled = true WHERE username = $1`, [`gw.${GRID}`]);
    try {
      const enabled = (await api.db.query(`SELECT count(*)::int AS n FROM users WHERE NOT disabled AND zwdd_account_id IS NULL`)).rows[0].n;
      expect(await inTransaction((db) => bindDemoZwddAccounts(db))).toBe(enabled);
      const rows = (await api.db.query(`SELECT username, zwdd_account_id AS z, disabled FROM users`)).rows as { username: string; z: string | null; disabled: boolean }[];
      const by = new Map(rows.map((r) => [r.username, r]));
      expect(by.get('tw.330523001')!.z).toBe('demo-tw.330523001');
      expect(by.get('h.330523-ZF')!.z).toBe('demo-h.330523-ZF');
      expect(by.get('county.op')!.z).toBe('real-account-1');
      expect(by.get(`gw.${GRID}`)!.z).toBeNull();
      expect(rows.filter((r) => !r.disabled && r.z === null)).toEqual([]);
      expect(await inTransaction((db) => bindDemoZwddAccounts(db))).toBe(0);
      const audit = (await api.db.query(`SELECT username, detail FROM audit_log WHERE action = 'demo.zwdd-bind' ORDER BY id`)).rows;
      expect(audit.map((a) => [a.username, a.detail.bound])).toEqual([[SEED_AUTHOR, enabled], [SEED_AUTHOR, 0]]);
    } finally {
      await api.db.query(`UPDATE users SET zwdd_account_id = NULL WHERE zwdd_account_id = 'real-account-1' OR zwdd_account_id LIKE 'demo-%'`);
      await api.db.query(`UPDATE users SET disabled = false WHERE username = $1`, [`gw.${GRID}`]);
    }
  });
});
