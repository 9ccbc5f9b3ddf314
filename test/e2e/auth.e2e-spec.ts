import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import type { Response } from 'supertest';
import { authRoutes, DEMO_PASSWORD, spareGridWorkers, startApi } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

jest.setTimeout(60_000);

// Login, short access tokens, rotating refresh tokens with reuse detection, lockout and the audit log.
const PASSWORD = DEMO_PASSWORD;
const TW = 'tw.330523001';

let api: ApiHarness;
/** Grid workers of 山川乡 that no other test in this file logs in as (each test takes its own). */
let spare: () => string;
let login: ReturnType<typeof authRoutes>['login'];
let refresh: ReturnType<typeof authRoutes>['refresh'];
let me: ReturnType<typeof authRoutes>['me'];
beforeAll(async () => {
  api = await startApi('auth');
  spare = await spareGridWorkers(api, '330523206', 12);
  ({ login, refresh, me } = authRoutes(api));
}, 120_000);
afterAll(async () => { await api?.close(); });

function expectProblem(res: Response, status: number) {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status });
  expect(res.body.title).toBeTruthy();
  expect(res.body.detail).toBeTruthy();
  return res.body as { type: string; detail: string };
}

async function audit(username: string) {
  const r = await api.db.query(`SELECT action, outcome, actor_id AS "actorId", ip, detail FROM audit_log WHERE username = $1 ORDER BY id`, [username]);
  return r.rows as { action: string; outcome: string; actorId: string | null; ip: string | null; detail: Record<string, unknown> }[];
}

describe('login', () => {
  it('returns an access token, a refresh token and the user; /me returns the actor', async () => {
    const res = await login(TW);
    expect(res.status).toBe(200);
    const { rows: [user] } = await api.db.query(`SELECT id, role, unit_code, jurisdiction_code FROM users WHERE username = $1`, [TW]);
    expect(res.body.user).toMatchObject({ id: user.id, username: TW, role: 'township_dispatcher', regionCode: '330523001', unitCode: '330523001-ZH' });
    expect(res.body.accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(typeof res.body.refreshToken).toBe('string');
    expect(res.body.refreshToken.length).toBeGreaterThanOrEqual(20);
    expect(res.body.refreshToken).not.toBe(res.body.accessToken);
    // the password hash never leaves the server
    expect(JSON.stringify(res.body)).not.toMatch(/argon2/);

    const who = await me(res.body.accessToken);
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({ id: user.id, username: TW, role: 'township_dispatcher', unitCode: '330523001-ZH', jurisdictionCode: '330523001' });

    const op = await login('county.op');
    expect(op.body.user).toMatchObject({ username: 'county.op', role: 'county_operator', regionCode: '330523', unitCode: '330523-ZX' });
    const h = await login('h.330523001-JG');
    expect(h.body.user).toMatchObject({ role: 'handler', regionCode: '330523001', unitCode: '330523001-JG' });
  });

  it('a wrong password or an unknown user is 401 with the same problem (no user enumeration), and is audited', async () => {
    const user = spare();
    const wrong = expectProblem(await login(user, 'not-the-password'), 401);
    const unknown = expectProblem(await login('gw.no-such-user', 'not-the-password'), 401);
    expect(wrong.detail).toBe(unknown.detail);
    expect(wrong.type).toBe(unknown.type);
    const ok = await login(user);
    expect(ok.status).toBe(200);

    const rows = await audit(user);
    expect(rows.map((r) => [r.action, r.outcome])).toEqual([['login', 'failed'], ['login', 'ok']]);
    expect(rows[0]!.actorId).toBe(ok.body.user.id);
    expect(rows[1]!.actorId).toBe(ok.body.user.id);
    expect(rows[1]!.ip).toBeTruthy();
    expect(await audit('gw.no-such-user')).toEqual([expect.objectContaining({ action: 'login', outcome: 'failed', actorId: null })]);
  });

  it('refuses malformed login bodies with 400', async () => {
    expectProblem(await api.http().post('/api/v1/auth/login').send({ username: TW }), 400);
    expectProblem(await api.http().post('/api/v1/auth/login').send({ username: TW, password: PASSWORD, role: 'admin' }), 400);
    expectProblem(await api.http().post('/api/v1/auth/login').set('Content-Type', 'application/json').send('{"username":'), 400);
  });
});

describe('access tokens', () => {
  it('calls without a valid bearer token are 401 problems', async () => {
    for (const url of ['/api/v1/me', '/api/v1/events', '/api/v1/regions', '/api/v1/categories', '/api/v1/units', '/api/v1/map/regions']) {
      expectProblem(await api.http().get(url), 401);
    }
    expectProblem(await api.http().post('/api/v1/events').send({}), 401);
    expectProblem(await api.http().post('/api/v1/attachments').attach('file', Buffer.from('x'), 'x.jpg'), 401);
    const good = (await login(TW)).body.accessToken as string;
    const [h, p, s] = good.split('.');
    const tampered = `${h}.${p}.${s!.slice(0, -4)}${s!.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    for (const header of ['Bearer', 'Bearer ', `Bearer ${tampered}`, `Basic ${Buffer.from(`${TW}:${PASSWORD}`).toString('base64')}`, good, 'Bearer not.a.jwt']) {
      expectProblem(await api.http().get('/api/v1/me').set('Authorization', header), 401);
    }
    // a token signed with another secret
    const forged = await new JwtService({ secret: 'someone-elses-secret-0123456789-abcdefgh' })
      .signAsync({ sub: '00000000-0000-0000-0000-000000000000', sid: '00000000-0000-0000-0000-000000000000', usr: 'admin' },
        { expiresIn: 600, issuer: 'grid141:330523', audience: 'grid141-api' });
    expectProblem(await me(forged), 401);
    expect((await me(good)).status).toBe(200);
  });

  it('health is public', async () => {
    expect((await api.http().get('/health/live')).status).toBe(200);
  });
});

describe('refresh tokens rotate', () => {
  it('each refresh token works once; reuse is 401 and revokes the whole family, including the newest token', async () => {
    const first = await login(TW);
    const r0 = first.body.refreshToken as string;
    const a = await refresh(r0);
    expect(a.status).toBe(200);
    expect(a.body.refreshToken).not.toBe(r0);
    expect(a.body.user).toMatchObject({ username: TW, regionCode: '330523001' });
    expect((await me(a.body.accessToken)).body.username).toBe(TW);
    const r1 = a.body.refreshToken as string;
    const b = await refresh(r1);
    expect(b.status).toBe(200);
    const r2 = b.body.refreshToken as string;
    expect(new Set([r0, r1, r2]).size).toBe(3);

    // another session (another family) of the same user is not affected by what follows
    const other = (await login(TW)).body.refreshToken as string;

    // r1 presented again: someone else holds the family
    const reuse = expectProblem(await refresh(r1), 401);
    expect(reuse.detail).toMatch(/already used/);
    expectProblem(await refresh(r2), 401);
    expectProblem(await refresh(r0), 401);
    const { rows: fam } = await api.db.query(
      `SELECT count(*)::int AS n, count(revoked_at)::int AS revoked FROM refresh_tokens
        WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = encode(sha256($1::bytea), 'hex'))`, [r2]);
    expect(fam[0]).toEqual({ n: 3, revoked: 3 });
    const { rows: reuseAudit } = await api.db.query(`SELECT outcome FROM audit_log WHERE action = 'refresh_reuse' AND actor_id = $1`, [first.body.user.id]);
    expect(reuseAudit).toEqual([{ outcome: 'denied' }]);

    const o = await refresh(other);
    expect(o.status).toBe(200);
    expect((await refresh(o.body.refreshToken)).status).toBe(200);
  });

  it('an unknown or malformed refresh token is refused', async () => {
    expectProblem(await refresh('x'.repeat(43)), 401);
    expectProblem(await refresh('short'), 400);
    expectProblem(await api.http().post('/api/v1/auth/refresh').send({}), 400);
  });

  it('concurrent refreshes with the same token: exactly one succeeds', async () => {
    const r0 = (await login(TW)).body.refreshToken as string;
    const results = await Promise.all(Array.from({ length: 8 }, () => refresh(r0)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 401, 401, 401, 401, 401, 401, 401]);
    for (const r of results.filter((x) => x.status !== 200)) expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('lockout', () => {
  it('after 5 wrong passwords even the right password is refused with the same 401; every attempt is audited', async () => {
    const user = spare();
    const first = expectProblem(await login(user, 'wrong-0'), 401);
    for (let i = 1; i < 5; i++) expectProblem(await login(user, `wrong-${i}`), 401);
    // locked: the right password gets exactly the answer a wrong one gets (no hint that the account exists or is locked)
    const locked = await login(user);
    expectProblem(locked, 401);
    expect(locked.body).toEqual(first);
    expectProblem(await login(user, 'wrong-again'), 401);
    const { rows: [u] } = await api.db.query(`SELECT failed_logins, locked_until > now() + interval '5 minutes' AS locked FROM users WHERE username = $1`, [user]);
    expect(u).toEqual({ failed_logins: 7, locked: true });

    const rows = await audit(user);
    expect(rows.map((r) => r.outcome)).toEqual(['failed', 'failed', 'failed', 'failed', 'failed', 'denied', 'denied']);
    expect(rows.every((r) => r.action === 'login')).toBe(true);
    expect(rows[4]!.detail).toMatchObject({ failures: 5 });
    expect(rows[5]!.detail).toMatchObject({ reason: 'locked' });

    // others are not affected
    expect((await login(spare())).status).toBe(200);
  });

  it('a successful login resets the failure count', async () => {
    const user = spare();
    for (let i = 0; i < 4; i++) expectProblem(await login(user, `wrong-${i}`), 401);
    expect((await login(user)).status).toBe(200);
    for (let i = 0; i < 4; i++) expectProblem(await login(user, `wrong-${i}`), 401);
    expect((await login(user)).status).toBe(200);
  });
});
