import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import ExcelJS from 'exceljs';
import type { Response } from 'supertest';
import { idCheckCharacter } from '#core';
import { authRoutes, rowCounts, SIGN_IN_AND_AUDIT, spareGridWorkers, startApi } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';
import { sandboxKeys, spawnSandbox } from './support/sandbox.js';
import type { SandboxKeys, SandboxProcess } from './support/sandbox.js';

// Issue 10: the workspaces log in through 浙政钉 (免登). The page hands over a one-time auth code; the API exchanges it
// with 浙政钉 (the province sandbox, which verifies our signatures independently and spends each code once), finds the
// user bound to the 浙政钉 account by an administrator, and opens a session exactly like a password login's.
// Needs the built sandbox: `npx tsc -p tsconfig.build.json`.
jest.setTimeout(120_000);

const TENANT = '196729';
const COUNTY = '330523';

let keys: SandboxKeys;
let sandbox: SandboxProcess;
let api: ApiHarness;
let spare: () => string;

/** A 浙政钉 accountId not used before in this run. */
const newAccount = () => `${Date.now()}${randomBytes(3).readUIntBE(0, 3)}`;

const gatewayEnv = (s: SandboxProcess, k: SandboxKeys, extra: Record<string, string> = {}) => ({
  GATEWAY_ZWDD_BASE_URL: s.url, GATEWAY_ZWDD_ACCESS_KEY: k.zwdd.accessKey, GATEWAY_ZWDD_SECRET_KEY: k.zwdd.secretKey,
  GATEWAY_ZWDD_TENANT_ID: TENANT, ...extra,
});

/** What the 浙政钉 container would give the page for this account (the sandbox's stand-in for getAuthCode). */
async function authCode(accountId: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await sandbox.admin<{ authCode: string }>('POST', '/_sandbox/auth-code', { accountId, ...extra });
  expect(res.status).toBe(200);
  return res.body.authCode;
}

const zwdd = (body: unknown, on: ApiHarness = api) => on.http().post('/api/v1/auth/zwdd').send(body as object);

function expectProblem(res: Response, status: number, type?: string): Response {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text?.slice(0, 600)}`);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  if (type) expect(res.body.type).toBe(`urn:grid141:problem:${type}`);
  return res;
}

async function userId(username: string): Promise<string> {
  const r = await api.db.query(`SELECT id FROM users WHERE username = $1`, [username]);
  expect(r.rows).toHaveLength(1);
  return r.rows[0].id as string;
}

/** PATCH /admin/users/{id} (the harness's client has no PATCH). */
async function patchUser(id: string, body: unknown, as = 'admin'): Promise<Response> {
  return api.http().patch(`/api/v1/admin/users/${id}`).set('Authorization', `Bearer ${await api.token(as)}`).send(body as object);
}

async function bind(username: string, accountId: string | null): Promise<Response> {
  return patchUser(await userId(username), { zwddAccountId: accountId });
}

/** A grid worker bound to a fresh 浙政钉 account. */
async function boundWorker(): Promise<{ username: string; accountId: string }> {
  const username = spare();
  const accountId = newAccount();
  const res = await bind(username, accountId);
  expect([res.status, res.body.zwddAccountId]).toEqual([200, accountId]);
  return { username, accountId };
}

beforeAll(async () => {
  keys = sandboxKeys();
  sandbox = await spawnSandbox(keys);
  // a short per-attempt deadline so that the timeout case below is quick
  api = await startApi('zwdd_login', gatewayEnv(sandbox, keys, { GATEWAY_TIMEOUT_MS: '1500' }));
  spare = await spareGridWorkers(api, '330523001', 40);
}, 120_000);

afterAll(async () => {
  await api?.close();
  await sandbox?.stop();
});

describe('免登: an auth code from 浙政钉 exchanged on the server', () => {
  it('logs in as the bound user with the same tokens a password login gives; the token works; audited as a login', async () => {
    const { username, accountId } = await boundWorker();
    const res = await zwdd({ authCode: await authCode(accountId, { name: '测试网格员' }) });
    expect(res.status).toBe(200);
    const password = await authRoutes(api).login(username);
    expect(password.status).toBe(200);
    // the same shape as a password login's answer, for the same user
    expect(Object.keys(res.body).sort()).toEqual(Object.keys(password.body).sort());
    expect(res.body.user).toEqual(password.body.user);
    expect(res.body.user).toMatchObject({ username, role: 'grid_worker', mustChangePassword: false });
    expect(res.body.expiresIn).toBe(password.body.expiresIn);
    const me = await authRoutes(api).me(res.body.accessToken);
    expect([me.status, me.body.username]).toEqual([200, username]);
    const events = await api.http().get('/api/v1/events?limit=1').set('Authorization', `Bearer ${res.body.accessToken}`);
    expect(events.status).toBe(200);
    // the refresh token rotates like any other
    const refreshed = await authRoutes(api).refresh(res.body.refreshToken);
    expect([refreshed.status, refreshed.body.user?.username]).toEqual([200, username]);

    const audit = (await api.db.query(`SELECT username, outcome, detail FROM audit_log WHERE action = 'login' AND detail->>'method' = 'zwdd'
      AND username = $1`, [username])).rows;
    expect(audit).toEqual([{ username, outcome: 'ok', detail: expect.objectContaining({ method: 'zwdd', zwddAccountId: accountId, sessionId: expect.any(String) }) }]);
    // the server spent the code at 浙政钉 with the app token; nothing the page said but the code went out
    const calls = (await sandbox.admin<{ items: { body: Record<string, string> }[] }>('GET', '/_sandbox/received?kind=app-user')).body.items;
    expect(Object.keys(calls.at(-1)!.body).sort()).toEqual(['access_token', 'auth_code']);
  });

  it('a code works once: the second use is 401, no second session', async () => {
    const { username, accountId } = await boundWorker();
    const code = await authCode(accountId);
    expect((await zwdd({ authCode: code })).status).toBe(200);
    const sessions = async () => (await api.db.query(`SELECT count(*)::int AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = $1`, [username])).rows[0].n;
    const before = await sessions();
    const again = expectProblem(await zwdd({ authCode: code }), 401, 'zwdd-code-refused');
    expect(again.body.detail).toMatch(/浙政钉免登码无效、已使用或已过期/);
    expect(again.body.detail).toMatch(/auth code is invalid, used or expired/);
    expect(await sessions()).toBe(before);
    const failed = (await api.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'login' AND outcome = 'failed'
      AND detail->>'method' = 'zwdd' AND detail->>'reason' = 'auth code refused'`)).rows[0].n;
    expect(failed).toBeGreaterThanOrEqual(1);
    // a refused code is the user's, not the app token's: the next login uses the same token (no new /gettoken.json call)
    const tokenCalls = async () => (await sandbox.admin<{ total: number }>('GET', '/_sandbox/received?kind=gettoken&limit=1')).body.total;
    const fetched = await tokenCalls();
    expect((await zwdd({ authCode: await authCode(accountId) })).status).toBe(200);
    expect(await tokenCalls()).toBe(fetched);
  });

  it('an expired code and a code 浙政钉 never issued are 401; nothing but the audit line is written', async () => {
    const { accountId } = await boundWorker();
    const expired = await authCode(accountId, { ttlSeconds: 0 });
    const before = await rowCounts(api.db, ['audit_log']);
    expectProblem(await zwdd({ authCode: expired }), 401, 'zwdd-code-refused');
    expectProblem(await zwdd({ authCode: `sbx-code-${randomBytes(8).toString('hex')}` }), 401, 'zwdd-code-refused');
    expect(await rowCounts(api.db, ['audit_log'])).toEqual(before);
  });

  it('a 浙政钉 account no user is bound to is 401 (unknown account), no session', async () => {
    const before = await rowCounts(api.db, ['audit_log']);
    const res = expectProblem(await zwdd({ authCode: await authCode(newAccount()) }), 401, 'zwdd-unknown-account');
    expect(res.body.detail).toMatch(/未绑定本系统账号/);
    expect(await rowCounts(api.db, ['audit_log'])).toEqual(before);
  });

  it('an account of another 浙政钉 tenant is 401, even with a bound accountId', async () => {
    const { accountId } = await boundWorker();
    expectProblem(await zwdd({ authCode: await authCode(accountId, { tenantId: '999001' }) }), 401, 'zwdd-unknown-account');
  });

  it('a disabled user is 401; re-enabled, the next code works', async () => {
    const { username, accountId } = await boundWorker();
    const admin = await api.as('admin');
    const id = await userId(username);
    expect((await admin.post(`/admin/users/${id}/disable`, {})).status).toBe(200);
    const res = expectProblem(await zwdd({ authCode: await authCode(accountId) }), 401, 'zwdd-account-disabled');
    expect(res.body.detail).toMatch(/账号已停用/);
    const audit = (await api.db.query(`SELECT outcome, detail->>'reason' AS reason FROM audit_log WHERE action = 'login' AND username = $1
      AND detail->>'method' = 'zwdd'`, [username])).rows;
    expect(audit).toEqual([{ outcome: 'failed', reason: 'disabled' }]);
    expect((await admin.post(`/admin/users/${id}/enable`, {})).status).toBe(200);
    expect((await zwdd({ authCode: await authCode(accountId) })).status).toBe(200);
  });

  it('a user who must change the password gets the same flag, and only the exempt routes, as after a password login', async () => {
    const { username, accountId } = await boundWorker();
    const admin = await api.as('admin');
    expect((await admin.post(`/admin/users/${await userId(username)}/reset-password`, {})).status).toBe(200);
    const res = await zwdd({ authCode: await authCode(accountId) });
    expect([res.status, res.body.user?.mustChangePassword]).toEqual([200, true]);
    const events = await api.http().get('/api/v1/events?limit=1').set('Authorization', `Bearer ${res.body.accessToken}`);
    expectProblem(events, 403, 'password-change-required');
    expect((await authRoutes(api).me(res.body.accessToken)).status).toBe(200);
  });

  it('the session is revocable like any other: logout ends the access and the refresh token at once', async () => {
    const { accountId } = await boundWorker();
    const res = await zwdd({ authCode: await authCode(accountId) });
    expect(res.status).toBe(200);
    const token = res.body.accessToken as string;
    expect((await authRoutes(api).me(token)).status).toBe(200);
    expect((await api.http().post('/api/v1/auth/logout').set('Authorization', `Bearer ${token}`)).status).toBe(204);
    expectProblem(await authRoutes(api).me(token), 401);
    expectProblem(await authRoutes(api).refresh(res.body.refreshToken), 401);
  });

  it('unbinding the account (admin) stops 免登 for that user', async () => {
    const { username, accountId } = await boundWorker();
    const res = await bind(username, null);
    expect([res.status, res.body.zwddAccountId]).toEqual([200, null]);
    expectProblem(await zwdd({ authCode: await authCode(accountId) }), 401, 'zwdd-unknown-account');
  });

  it('bad input is 400 naming the field, before anything is sent to 浙政钉', async () => {
    const calls = async () => (await sandbox.admin<{ total: number }>('GET', '/_sandbox/received?kind=app-user')).body.total;
    const before = await calls();
    for (const [body, field] of [
      [{}, 'authCode'], [{ authCode: '' }, 'authCode'], [{ authCode: 42 }, 'authCode'], [{ authCode: 'a b<c>' }, 'authCode'],
      [{ authCode: 'x'.repeat(257) }, 'authCode'], [{ authCode: 'sbx-code-1', accountId: '1' }, 'accountId'],
      [{ authCode: 'sbx-code-1', username: 'admin' }, 'username'],
    ] as const) {
      const res = expectProblem(await zwdd(body), 400);
      expect([body, res.body.errors?.[0]?.field]).toEqual([body, field]);
    }
    expect(await calls()).toBe(before);
  });

  it('浙政钉 failing (503s) or too slow (timeouts) is a 503 with the reason, never a 500; it works again when 浙政钉 is back', async () => {
    const { accountId } = await boundWorker();
    try {
      expect((await sandbox.admin('POST', '/_sandbox/faults', { failRate: 1 })).status).toBe(200);
      const down = expectProblem(await zwdd({ authCode: await authCode(accountId) }), 503, 'zwdd-unavailable');
      expect(down.body.detail).toMatch(/浙政钉暂时无法访问/);
      expect((await sandbox.admin('POST', '/_sandbox/faults', { latencyMs: 2500 })).status).toBe(200);
      const started = Date.now();
      expectProblem(await zwdd({ authCode: await authCode(accountId) }), 503, 'zwdd-unavailable');
      // two attempts of at most 1.5 s each and a short backoff: the page is not kept waiting for the relay's budget
      expect(Date.now() - started).toBeLessThan(6000);
    } finally {
      await sandbox.admin('POST', '/_sandbox/faults', {});
    }
    expect((await zwdd({ authCode: await authCode(accountId) })).status).toBe(200);
  });
});

describe('administration of the 浙政钉 account', () => {
  it('an admin sets and clears it (audited with before and after); another user\'s account is a 409', async () => {
    const username = spare();
    const other = spare();
    const accountId = newAccount();
    const set = await bind(username, accountId);
    expect([set.status, set.body.zwddAccountId]).toEqual([200, accountId]);
    expect((await (await api.as('admin')).get(`/admin/users/${await userId(username)}`)).body.zwddAccountId).toBe(accountId);

    const taken = expectProblem(await bind(other, accountId), 409, 'zwdd-account-taken');
    expect(taken.body.errors).toEqual([{ field: 'zwddAccountId', message: expect.stringContaining(username) }]);
    // nor on a new account
    const admin = await api.as('admin');
    const created = await admin.post('/admin/users', { displayName: '重复绑定', role: 'handler', unitCode: '330523001-JG', jurisdictionCode: '330523001',
      zwddAccountId: accountId });
    expectProblem(created, 409, 'zwdd-account-taken');
    // setting the same value again is no conflict with itself
    expect((await bind(username, accountId)).status).toBe(200);

    const cleared = await bind(username, null);
    expect([cleared.status, cleared.body.zwddAccountId]).toEqual([200, null]);
    const audit = (await api.db.query(`SELECT detail FROM audit_log WHERE action = 'user.update' AND target = $1 ORDER BY id`, [await userId(username)])).rows;
    expect(audit[0].detail).toMatchObject({ before: { zwddAccountId: null }, after: { zwddAccountId: accountId } });
    expect(audit.at(-1).detail).toMatchObject({ before: { zwddAccountId: accountId }, after: { zwddAccountId: null } });
    // once freed, another user may take it
    expect((await bind(other, accountId)).status).toBe(200);
  });

  it('a new account can be created with one; a malformed one is 400 naming the field; only an admin may set it', async () => {
    const admin = await api.as('admin');
    const accountId = newAccount();
    const created = await admin.post('/admin/users', { displayName: '浙政钉用户', role: 'handler', unitCode: '330523001-JG', jurisdictionCode: '330523001', zwddAccountId: accountId });
    expect([created.status, created.body.user?.zwddAccountId]).toEqual([201, accountId]);
    const bad = expectProblem(await admin.post('/admin/users', { displayName: '坏账号', role: 'handler', unitCode: '330523001-JG', jurisdictionCode: '330523001',
      zwddAccountId: 'has space' }), 400);
    expect(bad.body.errors?.[0]?.field).toBe('zwddAccountId');
    expectProblem(await patchUser(created.body.user.id, { zwddAccountId: null }, 'tw.330523001'), 403);
    expect((await (await api.as('admin')).get(`/admin/users/${created.body.user.id}`)).body.zwddAccountId).toBe(accountId);
  });

  it('the roster import takes an optional 浙政钉账号 column: creates and updates with it, refuses a duplicate, leaves it on a blank cell', async () => {
    const idNumber = (n: number) => {
      // born before 1970: no demo account's (the demo's synthetic ID numbers start in 1970)
      const first17 = `${COUNTY}19591231${String(n).padStart(3, '0')}`;
      return `${first17}${idCheckCharacter(first17)}`;
    };
    const grid = (await api.db.query(`SELECT code FROM regions WHERE level = 'grid' AND code LIKE '330523105%' ORDER BY code LIMIT 1`)).rows[0].code as string;
    const header = ['姓名', '手机号', '身份证号', '所属网格/单位', '角色', '浙政钉账号'];
    const xlsx = async (rows: string[][]) => {
      const wb = new ExcelJS.Workbook();
      const sheet = wb.addWorksheet('花名册');
      sheet.addRow(header);
      for (const r of rows) sheet.addRow(r);
      return Buffer.from(await wb.xlsx.writeBuffer());
    };
    const upload = async (file: Buffer) => api.http().post('/api/v1/admin/users/import?dryRun=false')
      .set('Authorization', `Bearer ${await api.token('admin')}`).attach('file', file, 'roster.xlsx');
    const [a, b] = [newAccount(), `${newAccount()}1`];
    const rows = [['花名册甲', '13912340001', idNumber(1), grid, '网格员', a], ['花名册乙', '13912340002', idNumber(2), grid, '网格员', '']];

    const done = await upload(await xlsx(rows));
    expect([done.status, done.body.created]).toEqual([200, 2]);
    const bound = async (name: string) => (await api.db.query(`SELECT zwdd_account_id AS z FROM users WHERE display_name = $1`, [name])).rows[0]?.z ?? null;
    expect(await bound('花名册甲')).toBe(a);
    expect(await bound('花名册乙')).toBeNull();
    // a roster account signs in through 浙政钉 (and, new, must change its temporary password)
    const login = await zwdd({ authCode: await authCode(a) });
    expect([login.status, login.body.user?.mustChangePassword]).toEqual([200, true]);

    // the same file again: unchanged; a value for 乙 updates it; a blank cell for 甲 leaves its account as it is
    expect((await upload(await xlsx(rows))).body).toMatchObject({ unchanged: 2, updated: 0 });
    const upd = await upload(await xlsx([[...rows[0]!.slice(0, 5), ''], [...rows[1]!.slice(0, 5), b]]));
    expect(upd.body).toMatchObject({ updated: 1, unchanged: 1 });
    expect([await bound('花名册甲'), await bound('花名册乙')]).toEqual([a, b]);

    // the same account twice in the file, or another account's: 422 naming row and column, nothing written
    const dup = expectProblem(await upload(await xlsx([[...rows[0]!.slice(0, 5), b], [...rows[1]!.slice(0, 5), b]])), 422);
    expect(dup.body.errors).toEqual(expect.arrayContaining([{ field: 'row 2: 浙政钉账号', message: expect.stringMatching(/another account/) }]));
    const same = expectProblem(await upload(await xlsx([[...rows[0]!.slice(0, 5), 'x y'], [...rows[1]!.slice(0, 5), '']])), 422);
    expect(same.body.errors).toEqual([{ field: 'row 2: 浙政钉账号', message: expect.stringMatching(/not a 浙政钉 accountId/) }]);
    expect([await bound('花名册甲'), await bound('花名册乙')]).toEqual([a, b]);
  });
});

describe('without GATEWAY_ZWDD_* 免登 is off', () => {
  let off: ApiHarness;
  beforeAll(async () => {
    for (const k of ['GATEWAY_ZWDD_BASE_URL', 'GATEWAY_ZWDD_ACCESS_KEY', 'GATEWAY_ZWDD_SECRET_KEY', 'GATEWAY_ZWDD_TENANT_ID']) delete process.env[k];
    off = await startApi('zwdd_login_off');
  }, 120_000);
  afterAll(async () => { await off?.close(); });

  it('answers 503 "not configured", writes nothing; the password login still works', async () => {
    const before = await rowCounts(off.db);
    const res = expectProblem(await zwdd({ authCode: 'sbx-code-anything' }, off), 503, 'zwdd-not-configured');
    expect(res.body.detail).toMatch(/^not configured/);
    expect(await rowCounts(off.db)).toEqual(before);
    expect((await authRoutes(off).login('tw.330523001')).status).toBe(200);
  });
});

describe('keys the gateway does not accept', () => {
  let wrong: ApiHarness;
  beforeAll(async () => {
    wrong = await startApi('zwdd_login_wrong', gatewayEnv(sandbox, keys, { GATEWAY_ZWDD_SECRET_KEY: randomBytes(24).toString('base64url') }));
  }, 120_000);
  afterAll(async () => { await wrong?.close(); });

  it('the gateway refusing our signature is 502 (our configuration), not a 401 for the user and never a 500', async () => {
    const before = await rowCounts(wrong.db, SIGN_IN_AND_AUDIT);
    const res = expectProblem(await zwdd({ authCode: await authCode('any') }, wrong), 502, 'zwdd-gateway-refused');
    expect(res.body.detail).toMatch(/Invalid signature/);
    expect(await rowCounts(wrong.db, SIGN_IN_AND_AUDIT)).toEqual(before);
  });
});
