import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import ExcelJS from 'exceljs';
import type { Response } from 'supertest';
import { idCheckCharacter } from '#core';
import { authRoutes, startApi } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

// Issue 11, rosters (花名册): xlsx import (dry run, all-or-nothing, idempotent) and export (masked unless a reason is given).
jest.setTimeout(120_000);

const COUNTY = '330523';
const DIPU = '330523001';
const JG = `${DIPU}-JG`;
const HEADER = ['姓名', '手机号', '身份证号', '所属网格/单位', '角色'];
type Row = [string, string, string, string, string];

let api: ApiHarness;
let grids: string[] = [];

const idNumber = (n: number) => {
  const d = new Date(Date.UTC(1960, 0, 1) + n * 86_400_000);
  const first17 = `${COUNTY}${d.toISOString().slice(0, 10).replaceAll('-', '')}${String(n % 1000).padStart(3, '0')}`;
  return `${first17}${idCheckCharacter(first17)}`;
};
const phone = (n: number) => `139${String(n).padStart(8, '0')}`;
/** `count` grid workers numbered from `from`, spread over the county's grids. */
const workers = (from: number, count: number): Row[] =>
  Array.from({ length: count }, (_, i) => [`网格员${from + i}`, phone(from + i), idNumber(from + i), grids[(from + i) % grids.length]!, '专职网格员']);

async function xlsx(rows: string[][], header = HEADER): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('花名册');
  sheet.addRow(header);
  for (const r of rows) sheet.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function upload(file: Buffer, dryRun: boolean, who = 'admin'): Promise<Response> {
  return api.http().post(`/api/v1/admin/users/import?dryRun=${dryRun}`).set('Authorization', `Bearer ${await api.token(who)}`)
    .attach('file', file, 'roster.xlsx');
}

async function download(query: string, who = 'admin'): Promise<Response> {
  return api.http().get(`/api/v1/admin/users/export${query}`).set('Authorization', `Bearer ${await api.token(who)}`).buffer(true)
    .parse((res, cb) => { const chunks: Buffer[] = []; res.on('data', (c: Buffer) => chunks.push(c)); res.on('end', () => cb(null, Buffer.concat(chunks))); });
}

function expectStatus(res: Response, status: number): Response {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text?.slice(0, 600)}`);
  return res;
}

/** Every user row, as one fingerprint (ids, names, placement, password hashes, encrypted data). */
const usersFingerprint = async () => (await api.db.query(`SELECT count(*)::int AS n, md5(string_agg(u::text, '|' ORDER BY id)) AS h FROM users u`)).rows[0];

beforeAll(async () => {
  api = await startApi('admin_roster');
  grids = (await api.db.query(`SELECT code FROM regions WHERE level = 'grid' AND code LIKE $1 || '%' ORDER BY code`, [COUNTY])).rows.map((r) => r.code as string);
  expect(grids.length).toBeGreaterThan(10);
}, 120_000);
afterAll(async () => { await api?.close(); });

describe('roster import', () => {
  it('3,000 rows: the dry run writes nothing; the import writes all in one go; the same file again changes nothing', async () => {
    const file = await xlsx(workers(0, 3000));
    const before = await usersFingerprint();
    const dry = expectStatus(await upload(file, true), 200).body;
    expect(dry).toMatchObject({ dryRun: true, valid: true, written: false, rows: 3000, created: 3000, updated: 0, unchanged: 0, invalid: 0, credentials: [] });
    expect(dry.results).toHaveLength(3000);
    expect(await usersFingerprint()).toEqual(before);

    const done = expectStatus(await upload(file, false), 200).body;
    expect(done).toMatchObject({ dryRun: false, valid: true, written: true, created: 3000, updated: 0, unchanged: 0 });
    expect(done.credentials).toHaveLength(3000);
    expect(new Set(done.credentials.map((c: { username: string }) => c.username)).size).toBe(3000);
    expect((await usersFingerprint()).n).toBe(before.n + 3000);
    // usernames follow the scheme: the demo already has gw.<grid>, so the first imported worker of a grid is gw.<grid>.2
    const first = done.credentials[0] as { row: number; username: string; temporaryPassword: string };
    expect(first).toMatchObject({ row: 2, username: `gw.${grids[0]}.2` });
    const login = expectStatus(await authRoutes(api).login(first.username, first.temporaryPassword), 200).body;
    expect(login.user).toMatchObject({ role: 'grid_worker', regionCode: grids[0], unitCode: `${grids[0]}-WG`, mustChangePassword: true });
    // by the administrator (the demo seed's accounts came through the same import, audited under its own name)
    const audits = (await api.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'user.create' AND detail->>'source' = 'roster' AND username = 'admin'`)).rows[0].n;
    expect(audits).toBe(3000);
    const leaked = (await api.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE strpos(detail::text, $1) > 0 OR strpos(detail::text, $2) > 0`,
      [phone(0), idNumber(0)])).rows[0].n;
    expect(leaked).toBe(0);

    const after = await usersFingerprint();
    const again = expectStatus(await upload(file, false), 200).body;
    expect(again).toMatchObject({ written: true, created: 0, updated: 0, unchanged: 3000, credentials: [] });
    expect(await usersFingerprint()).toEqual(after);

    // a changed row updates that account only (matched by ID number), audited with before and after
    const changed = workers(0, 3000);
    changed[5] = [...changed[5]!.slice(0, 4), '兼职网格员'] as Row;
    changed[5][0] = '改名网格员';
    const upd = expectStatus(await upload(await xlsx(changed), false), 200).body;
    expect(upd).toMatchObject({ created: 0, updated: 1, unchanged: 2999 });
    const [entry] = (await api.db.query(`SELECT detail FROM audit_log WHERE action = 'user.update' AND detail->>'source' = 'roster' AND username = 'admin'`)).rows;
    expect(entry.detail).toMatchObject({ row: 7, before: { displayName: '网格员5' }, after: { displayName: '改名网格员' } });
  });

  it('one bad row among 3,000 writes nothing and is named with its reason, for each kind of bad row', async () => {
    // an account that exists (phone 13900000000) before the file is checked
    const base = workers(10_000, 3000);
    const bad: [string, (r: Row) => Row, string, RegExp][] = [
      ['unknown grid', (r) => [r[0], r[1], r[2], '330523999999001', r[4]], '所属网格/单位', /unknown grid or unit code/],
      ['unknown unit', (r) => [r[0], r[1], r[2], `${DIPU}-NOPE`, '处置人员'], '所属网格/单位', /unknown grid or unit code/],
      ['grid for a dispatcher', (r) => [r[0], r[1], r[2], r[3], '乡镇调度员'], '所属网格/单位', /township/],
      ['duplicate phone in the file', (r) => [r[0], phone(10_000), r[2], r[3], r[4]], '手机号', /same phone number as row 2/],
      ['phone of an existing account', (r) => [r[0], phone(0), r[2], r[3], r[4]], '手机号', /another account/],
      ['duplicate ID number in the file', (r) => [r[0], r[1], idNumber(10_000), r[3], r[4]], '身份证号', /same ID number as row 2/],
      ['malformed ID number', (r) => [r[0], r[1], r[2].slice(0, 17), r[3], r[4]], '身份证号', /18-character/],
      ['wrong check digit', (r) => [r[0], r[1], `${r[2].slice(0, 17)}${r[2][17] === '1' ? '2' : '1'}`, r[3], r[4]], '身份证号', /check digit/],
      ['impossible birth date', (r) => { const f = `${COUNTY}19990231123`; return [r[0], r[1], `${f}${idCheckCharacter(f)}`, r[3], r[4]]; }, '身份证号', /birth date/],
      ['malformed phone', (r) => [r[0], '1234567890', r[2], r[3], r[4]], '手机号', /mobile/],
      ['missing name', (r) => ['', r[1], r[2], r[3], r[4]], '姓名', /missing/],
      ['unknown role', (r) => [r[0], r[1], r[2], r[3], '村长'], '角色', /unknown role/],
    ];
    const before = await usersFingerprint();
    const at = 1234; // the bad row: spreadsheet row 1236
    for (const [kind, spoil, column, why] of bad) {
      const rows = base.map((r) => [...r] as Row);
      rows[at] = spoil(rows[at]!);
      const file = await xlsx(rows);
      const res = expectStatus(await upload(file, false), 422).body;
      expect([kind, res.errors]).toEqual([kind, [{ field: `row ${at + 2}: ${column}`, message: expect.stringMatching(why) }]]);
      const dry = expectStatus(await upload(file, true), 200).body;
      expect([kind, dry.valid, dry.invalid, dry.created]).toEqual([kind, false, 1, 2999]);
      expect([kind, dry.results[at]]).toEqual([kind, { row: at + 2, action: 'invalid', username: null, problems: [{ field: column, message: expect.stringMatching(why) }] }]);
    }
    expect(await usersFingerprint()).toEqual(before);
  });

  it('the Chinese role names map onto the roles; the place column is a grid, township, unit or county code', async () => {
    const grid = grids[3]!;
    const rows: Row[] = [
      ['甲', phone(20_001), idNumber(20_001), grid, '网格长'],
      ['乙', phone(20_002), idNumber(20_002), `${grid}-WG`, '兼职网格员'],
      ['丙', phone(20_003), idNumber(20_003), DIPU, '乡镇调度员'],
      ['丁', phone(20_004), idNumber(20_004), JG, '处置人员'],
      ['戊', phone(20_005), idNumber(20_005), COUNTY, '县中心坐席'],
      ['己', phone(20_006), idNumber(20_006), COUNTY, '县领导'],
      ['庚', phone(20_007), idNumber(20_007), COUNTY, '系统管理员'],
    ];
    const res = expectStatus(await upload(await xlsx(rows), false), 200).body;
    expect(res.created).toBe(7);
    const a = await api.as('admin');
    const placed = [];
    for (let i = 0; i < rows.length; i++) {
      const u = (await a.post('/admin/users/lookup', { phone: rows[i]![1] })).body.items[0];
      placed.push([u.role, u.unitCode, u.jurisdictionCode]);
    }
    expect(placed).toEqual([
      ['grid_worker', `${grid}-WG`, grid], ['grid_worker', `${grid}-WG`, grid], ['township_dispatcher', `${DIPU}-ZH`, DIPU],
      ['handler', JG, DIPU], ['county_operator', `${COUNTY}-ZX`, COUNTY], ['county_leader', null, COUNTY], ['admin', null, COUNTY],
    ]);
    // the 3,000-row import above already numbered this grid's workers: these come next
    const names = res.credentials.map((c: { username: string }) => c.username) as string[];
    expect(names.slice(2)).toEqual([`tw.${DIPU}.2`, `h.${JG}.2`, 'county.op.2', 'county.lead.2', 'admin.2']);
    const [n1, n2] = names.slice(0, 2).map((n) => Number(n.slice(`gw.${grid}.`.length)));
    expect([names[0]!.startsWith(`gw.${grid}.`), n2]).toEqual([true, n1! + 1]);
  });

  it('files that are not rosters, and other roles, are refused', async () => {
    expectStatus(await upload(Buffer.from('姓名,手机号\n'), true), 415);
    const noColumn = expectStatus(await upload(await xlsx([['a', phone(1), idNumber(1), grids[0]!]], HEADER.slice(0, 4)), true), 422).body;
    expect(noColumn.errors).toEqual([{ field: 'file', message: expect.stringMatching(/missing: 角色/) }]);
    expectStatus(await upload(await xlsx([]), true), 422);
    // an ID number typed as a number has lost its last digits: named as such, not as a wrong check digit
    const numeric = await xlsx([['甲', phone(40_000), Number(idNumber(40_000).slice(0, 17) + '0') as unknown as string, grids[0]!, '网格员']]);
    expect(expectStatus(await upload(numeric, true), 200).body.results[0].problems).toEqual([{ field: '身份证号', message: expect.stringMatching(/as a number/) }]);
    const file = await xlsx(workers(30_000, 2));
    for (const who of ['county.op', `tw.${DIPU}`, `h.${JG}`]) {
      expectStatus(await upload(file, true, who), 403);
      expectStatus(await download('', who), 403);
    }
  });
});

describe('roster export', () => {
  it('masked by default; in clear only with a reason; both audited; a clear export imports back unchanged', async () => {
    await api.db.query(`UPDATE users SET zwdd_account_id = 'roster-zwdd-1' WHERE username = 'county.op'`);
    const masked = expectStatus(await download('?format=xlsx'), 200);
    expect(masked.headers['content-type']).toMatch(/spreadsheetml/);
    const read = async (buf: Buffer) => {
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(buf as unknown as ExcelJS.Buffer);
      const rows: string[][] = [];
      wb.worksheets[0]!.eachRow((row) => rows.push((row.values as unknown[]).slice(1).map((v) => (v === null || v === undefined ? '' : String(v)))));
      return rows;
    };
    const m = await read(masked.body as Buffer);
    expect(m[0]).toEqual([...HEADER, '浙政钉账号', '用户名', '状态']);
    expect(m.find((r) => r[6] === 'county.op')![5]).toBe('roster-zwdd-1');
    const users = (await api.db.query(`SELECT count(*)::int AS n FROM users`)).rows[0].n;
    expect(m).toHaveLength(users + 1);
    const imported = m.filter((r) => r[0]!.startsWith('网格员'));
    expect(imported.length).toBeGreaterThan(0);
    for (const r of imported) {
      expect(r[1]).toMatch(/^139\*{4}\d{4}$/);
      expect(r[2]).toMatch(/^330523\*{8}[\dX]{4}$/);
    }
    const clear = await read(expectStatus(await download(`?reason=${encodeURIComponent('核对花名册')}`), 200).body as Buffer);
    const clearRows = clear.filter((r) => /^网格员\d+$/.test(r[0]!)).map((r) => r.slice(0, 5) as Row);
    expect(clearRows[0]![1]).toMatch(/^139\d{8}$/);
    const back = expectStatus(await upload(await xlsx(clearRows), true), 200).body;
    expect(back).toMatchObject({ valid: true, created: 0, updated: 0, unchanged: clearRows.length });
    const exports = (await api.db.query(`SELECT detail FROM audit_log WHERE action = 'roster.export' ORDER BY id`)).rows.map((r) => r.detail);
    expect(exports).toEqual([expect.objectContaining({ personalData: 'masked' }), expect.objectContaining({ personalData: 'unmasked', reason: '核对花名册' })]);
  });
});
