import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Response } from 'supertest';
import { idCheckCharacter, idNumberProblem, PiiCipher, piiKeyOf, loadConfig } from '#core';
import { authRoutes, DEMO_PASSWORD, newId, startApi, waitFor } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

// Issue 11, people: the admin API for accounts (create, edit, disable, reset password, search) with role/unit/
// jurisdiction rules, and personal data encrypted at rest, masked in answers, unmasked only with a reason; all audited.
jest.setTimeout(90_000);

const COUNTY = '330523';
const DIPU = '330523001';
const GRID = '330523001002001';
const OTHER_GRID = '330523001002002';
const JG = `${DIPU}-JG`;
const OTHERS = ['county.op', 'county.lead', `tw.${DIPU}`, `h.${JG}`, `gw.${GRID}`];

/** A valid ID number (GB 11643) born on `birth` (YYYYMMDD) with sequence `seq` (3 digits). */
export const idNumber = (birth: string, seq: string, county = COUNTY) => {
  const first17 = `${county}${birth}${seq}`;
  return `${first17}${idCheckCharacter(first17)}`;
};
const wrongCheck = (id: string) => `${id.slice(0, 17)}${id[17] === '0' ? '1' : '0'}`;

let api: ApiHarness;
const admin = () => api.as('admin');
const patch = async (url: string, body: unknown, who = 'admin') =>
  api.http().patch(`/api/v1${url}`).set('Authorization', `Bearer ${await api.token(who)}`).send(body as object);

function expectStatus(res: Response, status: number, field?: string): Response {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text.slice(0, 400)}`);
  if (field !== undefined) expect((res.body.errors as { field: string }[] | undefined)?.map((e) => e.field)).toContain(field);
  return res;
}

const auditOf = async (target: string, action: string) =>
  (await api.db.query(`SELECT username, detail FROM audit_log WHERE target = $1 AND action = $2 ORDER BY id`, [target, action])).rows as
    { username: string; detail: Record<string, any> }[];

beforeAll(async () => { api = await startApi('admin_users'); }, 120_000);
afterAll(async () => { await api?.close(); });

describe('personal data rules', () => {
  it('GB 11643: check digit, birth date and syntax', () => {
    expect(idCheckCharacter('11010519491231002')).toBe('X'); // the standard's example
    expect(idNumberProblem('11010519491231002X')).toBeNull();
    expect(idNumberProblem('11010519491231002x')).toBeNull();
    expect(idNumberProblem('110105194912310021')).toMatch(/check digit/);
    expect(idNumberProblem(idNumber('19900230', '123'))).toMatch(/birth date/);
    expect(idNumberProblem(idNumber('20990101', '123'))).toMatch(/birth date/);
    expect(idNumberProblem('33052319900101123')).toMatch(/18-character/);
  });

  it('the key: required outside development mode, refused when short or published; ciphertexts are bound to their field', () => {
    for (const PII_KEY of [undefined, 'short', 'changeme']) expect(() => piiKeyOf(loadConfig({ PII_KEY }))).toThrow(/PII_KEY/);
    expect(piiKeyOf(loadConfig({ GRID141_DEV_MODE: 'true' }))).toMatch(/development/);
    const c = new PiiCipher('kP3v9Qx-7LmZ2rT8wYc1NbH5sJd0FgUe4Ao6');
    const enc = c.encrypt('phone', '13812345678');
    expect(c.decrypt('phone', enc)).toBe('13812345678');
    expect(() => c.decrypt('id_number', enc)).toThrow();
    expect(() => new PiiCipher('another-key-9Qx-7LmZ2rT8wYc1NbH5sJd0F').decrypt('phone', enc)).toThrow();
    expect(c.encrypt('phone', '13812345678').equals(enc)).toBe(false); // a fresh IV per value
    expect(c.index('phone', '13812345678').equals(c.index('phone', '13812345678'))).toBe(true);
    expect(c.index('phone', '13812345678').equals(c.index('id_number', '13812345678'))).toBe(false);
  });
});

describe('people API', () => {
  it('every other role gets 403 on every operation', async () => {
    const id = (await api.db.query(`SELECT id FROM users WHERE username = $1`, [`gw.${GRID}`])).rows[0].id as string;
    for (const who of OTHERS) {
      const c = await api.as(who);
      expectStatus(await c.get('/admin/users'), 403);
      expectStatus(await c.post('/admin/users/lookup', { phone: '13912345001' }), 403);
      expectStatus(await c.get(`/admin/users/${id}`), 403);
      expectStatus(await c.get(`/admin/users/${id}/personal-data?reason=x`), 403);
      expectStatus(await c.post('/admin/users', { displayName: 'x', role: 'grid_worker', unitCode: `${GRID}-WG`, jurisdictionCode: GRID }), 403);
      expectStatus(await patch(`/admin/users/${id}`, { displayName: 'x' }, who), 403);
      for (const op of ['disable', 'enable', 'reset-password']) expectStatus(await c.post(`/admin/users/${id}/${op}`, {}), 403);
    }
    // none but the demo seed's (its accounts came through the roster import, audited under its own name)
    expect((await api.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'user.%' AND username <> 'seed-demo'`)).rows[0].n).toBe(0);
  });

  it('create: masked personal data, the username scheme, a temporary password that must be changed at first login', async () => {
    const a = await admin();
    const phone = '13912345001';
    const id = idNumber('19900101', '101');
    const res = expectStatus(await a.post('/admin/users', { displayName: '王小明', role: 'grid_worker', unitCode: `${GRID}-WG`, jurisdictionCode: GRID, phone, idNumber: id }), 201);
    const { user, temporaryPassword } = res.body;
    expect(user).toMatchObject({ username: `gw.${GRID}.2`, displayName: '王小明', role: 'grid_worker', disabled: false, mustChangePassword: true,
      phone: '139****5001', idNumber: `${COUNTY}********${id.slice(-4)}` });
    expect(expectStatus(await a.get(`/admin/users/${user.id}`), 200).body).toEqual(user);
    // the next grid worker of the grid gets .3; an explicit username is kept, a taken one is 409
    const third = expectStatus(await a.post('/admin/users', { displayName: '李四', role: 'grid_worker', unitCode: `${GRID}-WG`, jurisdictionCode: GRID }), 201);
    expect(third.body.user.username).toBe(`gw.${GRID}.3`);
    expectStatus(await a.post('/admin/users', { username: 'county.op', displayName: '重名', role: 'county_operator', unitCode: `${COUNTY}-ZX`, jurisdictionCode: COUNTY }), 409);

    const auth = authRoutes(api);
    const login = expectStatus(await auth.login(user.username, temporaryPassword), 200);
    expect(login.body.user.mustChangePassword).toBe(true);
    const bearer = { Authorization: `Bearer ${login.body.accessToken}` };
    expectStatus(await api.http().get('/api/v1/categories').set(bearer), 403);
    const changed = expectStatus(await api.http().post('/api/v1/auth/password').set(bearer)
      .send({ currentPassword: temporaryPassword, newPassword: 'Wang-xiaoming-2026!' }), 200);
    expectStatus(await api.http().get('/api/v1/categories').set({ Authorization: `Bearer ${changed.body.accessToken}` }), 200);

    const [entry] = await auditOf(user.id, 'user.create');
    expect(entry!.username).toBe('admin');
    expect(entry!.detail.before).toBeNull();
    expect(entry!.detail.after).toMatchObject({ username: user.username, phone: '139****5001', role: 'grid_worker' });
    expect(JSON.stringify(entry!.detail)).not.toContain(phone);
  });

  it('role, unit and jurisdiction must agree (422 naming the field); phone and ID number are checked', async () => {
    const a = await admin();
    const bad: [Record<string, unknown>, string][] = [
      [{ role: 'grid_worker', unitCode: `${GRID}-WG`, jurisdictionCode: DIPU }, 'jurisdictionCode'],
      [{ role: 'grid_worker', unitCode: `${OTHER_GRID}-WG`, jurisdictionCode: GRID }, 'unitCode'],
      [{ role: 'grid_worker', unitCode: null, jurisdictionCode: GRID }, 'unitCode'],
      [{ role: 'township_dispatcher', unitCode: JG, jurisdictionCode: DIPU }, 'unitCode'],
      [{ role: 'township_dispatcher', unitCode: `${DIPU}-ZH`, jurisdictionCode: GRID }, 'jurisdictionCode'],
      [{ role: 'handler', unitCode: null, jurisdictionCode: DIPU }, 'unitCode'],
      [{ role: 'handler', unitCode: `${GRID}-WG`, jurisdictionCode: GRID }, 'unitCode'],
      [{ role: 'handler', unitCode: JG, jurisdictionCode: COUNTY }, 'jurisdictionCode'],
      [{ role: 'county_operator', unitCode: `${COUNTY}-ZX`, jurisdictionCode: DIPU }, 'jurisdictionCode'],
      [{ role: 'county_operator', unitCode: null, jurisdictionCode: COUNTY }, 'unitCode'],
      [{ role: 'admin', unitCode: `${COUNTY}-ZX`, jurisdictionCode: COUNTY }, 'unitCode'],
      [{ role: 'handler', unitCode: 'NOPE-1', jurisdictionCode: DIPU }, 'unitCode'],
      [{ role: 'county_leader', unitCode: null, jurisdictionCode: '330524' }, 'jurisdictionCode'],
    ];
    for (const [placement, field] of bad) expectStatus(await a.post('/admin/users', { displayName: '测试', ...placement }), 422, field);
    const ok = { displayName: '赵六', role: 'handler', unitCode: JG, jurisdictionCode: DIPU };
    expectStatus(await a.post('/admin/users', { ...ok, idNumber: wrongCheck(idNumber('19850505', '222')) }), 422, 'idNumber');
    expectStatus(await a.post('/admin/users', { ...ok, idNumber: idNumber('19850230', '222') }), 422, 'idNumber');
    expectStatus(await a.post('/admin/users', { ...ok, idNumber: '33052319850505222' }), 400, 'idNumber');
    for (const phone of ['12812345678', '1381234567', '+8613812345678', '138-1234-5678']) expectStatus(await a.post('/admin/users', { ...ok, phone }), 400, 'phone');
    expectStatus(await a.post('/admin/users', { ...ok, phone: '13912345001' }), 422, 'phone'); // another account's
    expect((await api.db.query(`SELECT count(*)::int AS n FROM users WHERE display_name IN ('测试', '赵六')`)).rows[0].n).toBe(0);
    // every role can be placed the right way
    const h = expectStatus(await a.post('/admin/users', { ...ok, phone: '13912345002', idNumber: idNumber('19850505', '222') }), 201).body.user;
    expect(h.username).toBe(`h.${JG}.2`);
    expectStatus(await a.post('/admin/users', { displayName: '调度', role: 'township_dispatcher', unitCode: `${DIPU}-ZH`, jurisdictionCode: DIPU }), 201);
    expectStatus(await a.post('/admin/users', { displayName: '领导', role: 'county_leader', unitCode: null, jurisdictionCode: COUNTY }), 201);
  });

  it('search: filters, text, exact phone and ID number (blind index)', async () => {
    const a = await admin();
    const phone = '13912345003';
    const id = idNumber('19770707', '303');
    const u = expectStatus(await a.post('/admin/users', { displayName: '钱七搜索', role: 'grid_worker', unitCode: `${OTHER_GRID}-WG`, jurisdictionCode: OTHER_GRID, phone, idNumber: id }), 201).body.user;
    const names = async (qs: string) => (expectStatus(await a.get(`/admin/users?${qs}`), 200).body.items as { username: string }[]).map((x) => x.username);
    const lookup = async (body: object) => (expectStatus(await a.post('/admin/users/lookup', body), 200).body.items as { username: string }[]).map((x) => x.username);
    expect(await lookup({ phone })).toEqual([u.username]);
    expect(await lookup({ idNumber: id })).toEqual([u.username]);
    expect(await lookup({ idNumber: id.toLowerCase() })).toEqual([u.username]);
    expect(await lookup({ phone, idNumber: id })).toEqual([u.username]);
    expect(await lookup({ phone: '13912349999' })).toEqual([]);
    expect(await lookup({ phone: '13912349999', idNumber: id })).toEqual([]);
    expectStatus(await a.post('/admin/users/lookup', {}), 400, 'phone');
    expectStatus(await a.post('/admin/users/lookup', { phone: '123' }), 400, 'phone');
    expectStatus(await a.get(`/admin/users?phone=${phone}`), 400, 'phone'); // never in a URL
    expect(await names(`q=${encodeURIComponent('钱七')}`)).toEqual([u.username]);
    expect(await names(`jurisdiction=${OTHER_GRID}&role=grid_worker`)).toEqual([`gw.${OTHER_GRID}`, u.username]);
    expect(await names(`unitCode=${OTHER_GRID}-WG`)).toEqual([`gw.${OTHER_GRID}`, u.username]);
    expect(await names('q=%25')).toEqual([]); // a LIKE wildcard is a character
    const page = expectStatus(await a.get(`/admin/users?jurisdiction=${DIPU}&limit=5&offset=0`), 200).body;
    expect(page.items).toHaveLength(5);
    expect(page.total).toBeGreaterThan(5);
    const all = expectStatus(await a.get('/admin/users?limit=200'), 200).body.items as { phone: string | null; idNumber: string | null }[];
    for (const x of all) {
      if (x.phone !== null) expect(x.phone).toMatch(/^1\d\d\*{4}\d{4}$/);
      if (x.idNumber !== null) expect(x.idNumber).toMatch(/^\d{6}\*{8}[\dX]{4}$/);
    }
    expectStatus(await a.get('/admin/users?disabled=yes'), 400, 'disabled');
  });

  it('edit: placement and personal data, audited with before and after (masked)', async () => {
    const a = await admin();
    const u = expectStatus(await a.post('/admin/users', { displayName: '孙八', role: 'grid_worker', unitCode: `${GRID}-WG`, jurisdictionCode: GRID, phone: '13912345004' }), 201).body.user;
    expectStatus(await patch(`/admin/users/${u.id}`, { jurisdictionCode: OTHER_GRID }), 422, 'unitCode');
    const moved = expectStatus(await patch(`/admin/users/${u.id}`, { jurisdictionCode: OTHER_GRID, unitCode: `${OTHER_GRID}-WG`, displayName: '孙八八', phone: '13712345004' }), 200).body;
    expect(moved).toMatchObject({ jurisdictionCode: OTHER_GRID, unitCode: `${OTHER_GRID}-WG`, displayName: '孙八八', phone: '137****5004' });
    const [entry] = await auditOf(u.id, 'user.update');
    expect(entry!.detail.before).toMatchObject({ jurisdictionCode: GRID, displayName: '孙八', phone: '139****5004' });
    expect(entry!.detail.after).toMatchObject({ jurisdictionCode: OTHER_GRID, displayName: '孙八八', phone: '137****5004' });
    const cleared = expectStatus(await patch(`/admin/users/${u.id}`, { phone: null }), 200).body;
    expect(cleared.phone).toBeNull();
    expectStatus(await patch(`/admin/users/${newId()}`, { displayName: 'x' }), 404);
    expectStatus(await a.get('/admin/users/not-a-uuid'), 404);
    const self = (await api.db.query(`SELECT id FROM users WHERE username = 'admin'`)).rows[0].id as string;
    expectStatus(await patch(`/admin/users/${self}`, { role: 'county_leader', unitCode: null }), 422, 'role');
    expectStatus(await a.post(`/admin/users/${self}/disable`, {}), 409);
  });

  it('disable ends the sessions at once (tokens, refresh, login); enable lets the user in again', async () => {
    const a = await admin();
    const auth = authRoutes(api);
    const user = `h.${DIPU}-SFS`;
    const login = expectStatus(await auth.login(user), 200).body;
    expectStatus(await auth.me(login.accessToken), 200);
    const id = login.user.id as string;
    const disabled = expectStatus(await a.post(`/admin/users/${id}/disable`, {}), 200).body;
    expect(disabled.disabled).toBe(true);
    expectStatus(await auth.me(login.accessToken), 401);
    expectStatus(await auth.refresh(login.refreshToken), 401);
    expectStatus(await auth.login(user), 401);
    expect((await api.db.query(`SELECT count(*)::int AS n FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`, [id])).rows[0].n).toBe(0);
    expect(expectStatus(await a.get(`/admin/users?disabled=true`), 200).body.items.map((x: { id: string }) => x.id)).toContain(id);
    expectStatus(await a.post(`/admin/users/${id}/enable`, {}), 200);
    expectStatus(await auth.login(user), 200);
    const entries = await auditOf(id, 'user.disable');
    expect(entries[0]!.detail).toMatchObject({ before: { disabled: false }, after: { disabled: true }, sessionsEnded: 1 });

    // disabled by another API process (plain SQL here): the users trigger's NOTIFY empties this process's session cache
    const again = expectStatus(await auth.login(user), 200).body;
    for (let i = 0; i < 3; i++) expectStatus(await auth.me(again.accessToken), 200); // cached here
    await api.db.query(`UPDATE users SET disabled = true WHERE id = $1`, [id]);
    await waitFor('the disabling to reach this process', async () => (await auth.me(again.accessToken)).status === 401, 5000, 20);
    await api.db.query(`UPDATE users SET disabled = false WHERE id = $1`, [id]);
  });

  it('reset password: a temporary password, the old one and every session end, the change is forced', async () => {
    const a = await admin();
    const auth = authRoutes(api);
    const user = `h.${DIPU}-PCS`;
    const login = expectStatus(await auth.login(user), 200).body;
    const reset = expectStatus(await a.post(`/admin/users/${login.user.id}/reset-password`, {}), 200).body;
    expect(reset).toMatchObject({ userId: login.user.id, username: user });
    expect(reset.temporaryPassword).toMatch(/^[A-Za-z0-9]{4}(-[A-Za-z0-9]{4}){3}$/);
    expectStatus(await auth.me(login.accessToken), 401);
    expectStatus(await auth.login(user, DEMO_PASSWORD), 401);
    const temp = expectStatus(await auth.login(user, reset.temporaryPassword), 200).body;
    expect(temp.user.mustChangePassword).toBe(true);
    expectStatus(await api.http().get('/api/v1/categories').set('Authorization', `Bearer ${temp.accessToken}`), 403);
    const [entry] = await auditOf(login.user.id, 'user.password_reset');
    expect(JSON.stringify(entry!.detail)).not.toContain(reset.temporaryPassword);
  });

  it('personal data unmasked only with a reason, audited; the database holds no phone or ID number in clear', async () => {
    const a = await admin();
    const phone = '13912345005';
    const id = idNumber('19660606', '505');
    const u = expectStatus(await a.post('/admin/users', { displayName: '周九', role: 'county_operator', unitCode: `${COUNTY}-ZX`, jurisdictionCode: COUNTY, phone, idNumber: id }), 201).body.user;
    expectStatus(await a.get(`/admin/users/${u.id}/personal-data`), 422, 'reason');
    expectStatus(await a.get(`/admin/users/${u.id}/personal-data?reason=%20%20`), 400, 'reason');
    const clear = expectStatus(await a.get(`/admin/users/${u.id}/personal-data?reason=${encodeURIComponent('核实身份：回访电话')}`), 200).body;
    expect(clear).toEqual({ id: u.id, phone, idNumber: id });
    const [entry] = await auditOf(u.id, 'user.personal_data.view');
    expect(entry).toMatchObject({ username: 'admin', detail: { reason: '核实身份：回访电话' } });

    // a denied lookup is audited (as every 403) without the values: they travel in the body
    expectStatus(await (await api.as(`tw.${DIPU}`)).post('/admin/users/lookup', { phone, idNumber: id }), 403);

    // every text, varchar, json and bytea column of every table, searched for the clear values
    const columns = (await api.db.query(
      `SELECT table_name AS t, column_name AS c, data_type AS type FROM information_schema.columns
        WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'bytea')`)).rows as { t: string; c: string; type: string }[];
    expect(columns.some((x) => x.t === 'users' && x.c === 'phone_enc')).toBe(true);
    const found: string[] = [];
    for (const { t, c, type } of columns) {
      const expr = type === 'bytea' ? `position(convert_to($1, 'UTF8') in "${c}") > 0 OR position(convert_to($2, 'UTF8') in "${c}") > 0`
        : `strpos("${c}"::text, $1) > 0 OR strpos("${c}"::text, $2) > 0`;
      const n = (await api.db.query(`SELECT count(*)::int AS n FROM "${t}" WHERE ${expr}`, [phone, id])).rows[0].n as number;
      if (n > 0) found.push(`${t}.${c}`);
    }
    expect(found).toEqual([]);
  });
});
