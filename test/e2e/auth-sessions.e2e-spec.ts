import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import type { Response } from 'supertest';
import { v4 as uuidv4 } from 'uuid';
import { jwtSecretOf, KNOWN_SECRETS, loadConfig } from '#core';
import { authRoutes, DEMO_PASSWORD, ROOT, spareGridWorkers, startApi, waitFor } from './support/harness.js';
import type { ApiHarness } from './support/harness.js';

jest.setTimeout(90_000);

// Issue 12, authentication: tokens bound to live sessions, no forged or immortal token, atomic lockout with one
// answer for every failed login, logout and password change, and no start on a weak secret.
const PASSWORD = DEMO_PASSWORD;
const ISSUER = 'grid141:330523';
const AUDIENCE = 'grid141-api';

let api: ApiHarness;
let spare: () => string;
let login: ReturnType<typeof authRoutes>['login'];
let refresh: ReturnType<typeof authRoutes>['refresh'];
let me: ReturnType<typeof authRoutes>['me'];
beforeAll(async () => {
  api = await startApi('auth_sessions');
  spare = await spareGridWorkers(api, '3305231', 30);
  ({ login, refresh, me } = authRoutes(api));
}, 120_000);
afterAll(async () => { await api?.close(); });
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const realSecret = () => process.env.JWT_SECRET!;

/**
 * A change made by another process (plain SQL here) reaches this one's session cache through NOTIFY, moments after the
 * commit (milliseconds; later on a loaded machine): well before the cache's 10 s limit, which is what the deadline proves.
 */
const refusedSoon = (token: string) =>
  waitFor('the change to reach this process', async () => (await me(token)).status === 401, 5000, 20);

function expect401(res: Response) {
  if (res.status !== 401) throw new Error(`expected 401, got ${res.status}: ${res.text.slice(0, 300)}`);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
}

async function session(username: string) {
  const res = await login(username);
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${res.text}`);
  const { rows: [s] } = await api.db.query(`SELECT family_id AS sid FROM refresh_tokens WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1`, [res.body.user.id]);
  return { access: res.body.accessToken as string, refresh: res.body.refreshToken as string, userId: res.body.user.id as string, sid: s.sid as string };
}

describe('access tokens are checked for signature, exp, iss, aud and a live session', () => {
  it('a token signed with a published secret (the old fallback, the docker default) is refused, even with real ids', async () => {
    const s = await session(spare());
    for (const secret of ['dev-only-secret-change-me-please', 'change-me-to-a-long-random-secret', 'test-secret-0123456789abcdef']) {
      const forged = await new JwtService({ secret }).signAsync({ sub: s.userId, sid: s.sid, usr: 'admin', role: 'admin', jur: '330523' },
        { expiresIn: 600, issuer: ISSUER, audience: AUDIENCE });
      expect401(await me(forged));
    }
    // alg "none" and an RS/HS confusion are refused too
    const [, payload] = s.access.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    expect401(await me(none));
    expect((await me(s.access)).status).toBe(200);
  });

  it('a correctly signed token without exp, with a foreign issuer or audience, or an overlong lifetime is refused', async () => {
    const s = await session(spare());
    const jwt = new JwtService({ secret: realSecret() });
    const claims = { sub: s.userId, sid: s.sid, usr: 'x' };
    const noExp = await jwt.signAsync(claims, { issuer: ISSUER, audience: AUDIENCE });
    expect401(await me(noExp));
    expect401(await me(await jwt.signAsync(claims, { expiresIn: 600, issuer: 'grid141:330100', audience: AUDIENCE })));
    expect401(await me(await jwt.signAsync(claims, { expiresIn: 600, issuer: ISSUER, audience: 'someone-else' })));
    expect401(await me(await jwt.signAsync(claims, { expiresIn: 600, audience: AUDIENCE })));
    expect401(await me(await jwt.signAsync(claims, { expiresIn: 365 * 86400, issuer: ISSUER, audience: AUDIENCE })));
    expect401(await me(await jwt.signAsync(claims, { expiresIn: -10, issuer: ISSUER, audience: AUDIENCE })));
    // the same claims, well formed: accepted (so the refusals above are about exp, iss, aud and lifetime)
    expect((await me(await jwt.signAsync(claims, { expiresIn: 600, issuer: ISSUER, audience: AUDIENCE }))).status).toBe(200);
  });

  it('a correctly signed token for a user or a session that does not exist is refused', async () => {
    const s = await session(spare());
    const jwt = new JwtService({ secret: realSecret() });
    const sign = (sub: string, sid: string) => jwt.signAsync({ sub, sid, usr: 'admin' }, { expiresIn: 600, issuer: ISSUER, audience: AUDIENCE });
    expect401(await me(await sign(uuidv4(), uuidv4())));
    expect401(await me(await sign(uuidv4(), s.sid)));       // someone else's session
    expect401(await me(await sign(s.userId, uuidv4())));    // a session never opened
    const { rows: [admin] } = await api.db.query(`SELECT id FROM users WHERE username = 'admin'`);
    expect401(await me(await sign(admin.id, s.sid)));       // an admin id on a grid worker's session
  });

  it('disabling a user refuses its tokens at once, access and refresh', async () => {
    const user = spare();
    const s = await session(user);
    expect((await me(s.access)).status).toBe(200);
    await api.db.query(`UPDATE users SET disabled = true WHERE id = $1`, [s.userId]);
    await refusedSoon(s.access);
    expect401(await me(s.access));
    expect401(await api.http().get('/api/v1/events').set(bearer(s.access)));
    expect401(await refresh(s.refresh));
    expect401(await login(user));
  });

  it('a session revoked by another process (plain SQL here) is refused on the next request, though this one cached it', async () => {
    const s = await session(spare());
    for (let i = 0; i < 3; i++) expect((await me(s.access)).status).toBe(200); // now in this process's session cache
    await api.db.query(`UPDATE sessions SET revoked_at = now(), revoked_reason = 'admin' WHERE id = $1`, [s.sid]);
    await refusedSoon(s.access);
    expect401(await me(s.access));
    const t = await session(spare());
    expect((await me(t.access)).status).toBe(200);
    await api.db.query(`DELETE FROM sessions WHERE id = $1`, [t.sid]);
    await refusedSoon(t.access);
    expect401(await me(t.access));
  });

  it('a role or jurisdiction change applies to the next request (the actor is read from the user row)', async () => {
    const s = await session(spare());
    expect((await me(s.access)).body.jurisdictionCode).not.toBe('330523001');
    await api.db.query(`UPDATE users SET jurisdiction_code = '330523001' WHERE id = $1`, [s.userId]);
    expect((await me(s.access)).body.jurisdictionCode).toBe('330523001');
  });
});

describe('sessions end at once', () => {
  it('logout ends this session (access and refresh) and no other', async () => {
    const user = spare();
    const a = await session(user);
    const b = await session(user);
    const out = await api.http().post('/api/v1/auth/logout').set(bearer(a.access));
    expect(out.status).toBe(204);
    expect401(await me(a.access));
    expect401(await refresh(a.refresh));
    expect401(await api.http().post('/api/v1/auth/logout').set(bearer(a.access)));
    expect((await me(b.access)).status).toBe(200);
    expect((await refresh(b.refresh)).status).toBe(200);
    const { rows } = await api.db.query(`SELECT revoked_reason FROM sessions WHERE id = $1`, [a.sid]);
    expect(rows).toEqual([{ revoked_reason: 'logout' }]);
    const { rows: audit } = await api.db.query(`SELECT outcome FROM audit_log WHERE action = 'logout' AND actor_id = $1`, [a.userId]);
    expect(audit).toEqual([{ outcome: 'ok' }]);
  });

  it('reusing a rotated refresh token revokes the session: its newest access token is refused at once', async () => {
    const s = await session(spare());
    const r1 = await refresh(s.refresh);
    expect(r1.status).toBe(200);
    expect((await me(r1.body.accessToken)).status).toBe(200);
    expect401(await refresh(s.refresh)); // reuse: the thief or the owner, we cannot tell
    expect401(await me(r1.body.accessToken));
    expect401(await me(s.access));
    expect401(await refresh(r1.body.refreshToken));
  });

  it('a password change ends every session of the user, returns a new one, and the old password stops working', async () => {
    const user = spare();
    const a = await session(user);
    const b = await session(user);
    const next = 'Anji white tea 2026, grid';
    const res = await api.http().post('/api/v1/auth/password').set(bearer(a.access)).send({ currentPassword: PASSWORD, newPassword: next });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ username: user, mustChangePassword: false });
    expect401(await me(a.access));
    expect401(await me(b.access));
    expect401(await refresh(a.refresh));
    expect401(await refresh(b.refresh));
    expect((await me(res.body.accessToken)).status).toBe(200);
    expect401(await login(user));
    expect((await login(user, next)).status).toBe(200);
  });

  it('a password change needs the right current password and a password that meets the policy', async () => {
    const user = spare();
    const s = await session(user);
    const change = (body: object) => api.http().post('/api/v1/auth/password').set(bearer(s.access)).send(body);
    const wrong = await change({ currentPassword: 'not-it', newPassword: 'a perfectly fine passphrase' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.errors).toEqual([expect.objectContaining({ field: 'currentPassword' })]);
    for (const newPassword of ['short', PASSWORD, '1qaz2wsx3edc', `${user}-and-more-words`]) {
      const bad = await change({ currentPassword: PASSWORD, newPassword });
      expect(bad.status).toBe(422);
      expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'newPassword' })]);
    }
    // nothing changed: the session and the old password still work
    expect((await me(s.access)).status).toBe(200);
    expect(await api.db.query(`SELECT password_changed_at FROM users WHERE id = $1`, [s.userId]).then((r) => r.rows[0].password_changed_at)).toBeNull();
  });
});

describe('a password that must be changed', () => {
  it('after a reset (must_change_password), only /me, password change and logout answer until the password is changed', async () => {
    const user = spare();
    const s = await session(user);
    expect((await api.http().get('/api/v1/events').set(bearer(s.access))).status).toBe(200); // cached as a normal session
    await api.db.query(`UPDATE users SET must_change_password = true WHERE id = $1`, [s.userId]);
    const refused = await api.http().get('/api/v1/events').set(bearer(s.access));
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('urn:grid141:problem:password-change-required');
    expect((await me(s.access)).status).toBe(200);
    const again = await login(user);
    expect(again.body.user.mustChangePassword).toBe(true);
    const changed = await api.http().post('/api/v1/auth/password').set(bearer(again.body.accessToken))
      .send({ currentPassword: PASSWORD, newPassword: 'Tea-garden lantern 88' });
    expect(changed.status).toBe(200);
    expect(changed.body.user.mustChangePassword).toBe(false);
    expect((await api.http().get('/api/v1/events').set(bearer(changed.body.accessToken))).status).toBe(200);
  });
});

describe('lockout counts every attempt atomically, and every failed login looks the same', () => {
  it('20 parallel wrong guesses count as 20: only the first 5 are evaluated, and then the account is locked', async () => {
    const user = spare();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => login(user, `guess-${i}`)));
    for (const a of answers) expect401(a);
    const bodies = new Set(answers.map((a) => a.text));
    expect(bodies.size).toBe(1);
    const { rows: [u] } = await api.db.query(`SELECT failed_logins, locked_until > now() AS locked FROM users WHERE username = $1`, [user]);
    expect(u).toEqual({ failed_logins: 20, locked: true });
    const { rows } = await api.db.query(`SELECT outcome, count(*)::int AS n FROM audit_log WHERE username = $1 AND action = 'login' GROUP BY outcome ORDER BY outcome`, [user]);
    // 'failed' = a password that was evaluated and wrong; 'denied' = refused as locked without evaluating it
    expect(rows).toEqual([{ outcome: 'denied', n: 15 }, { outcome: 'failed', n: 5 }]);
    // the right password is refused now, with the very same answer
    const right = await login(user);
    expect401(right);
    expect(right.text).toBe([...bodies][0]);
  });

  it('a locked account, an unknown account, a disabled one and a wrong password are indistinguishable', async () => {
    const lockedUser = spare();
    for (let i = 0; i < 5; i++) await login(lockedUser, `wrong-${i}`);
    const disabled = spare();
    await api.db.query(`UPDATE users SET disabled = true WHERE username = $1`, [disabled]);
    const cases = { wrong: () => login(spare(), 'wrong'), unknown: () => login(`gw.nobody${Date.now()}`, 'wrong'), locked: () => login(lockedUser),
      disabled: () => login(disabled) };
    const answers: Record<string, Response> = {};
    const times: Record<string, number[]> = { wrong: [], unknown: [], locked: [], disabled: [] };
    for (let round = 0; round < 3; round++) {
      for (const [name, call] of Object.entries(cases)) {
        const t0 = performance.now();
        answers[name] = await call();
        times[name]!.push(performance.now() - t0);
      }
    }
    const texts = Object.values(answers).map((a) => a.text);
    expect(new Set(texts).size).toBe(1);
    for (const a of Object.values(answers)) {
      expect(a.status).toBe(401);
      expect(a.headers['content-type']).toBe(answers.wrong!.headers['content-type']);
      expect(a.headers['www-authenticate']).toBe(answers.wrong!.headers['www-authenticate']);
    }
    // similar timing: every path costs one argon2 verification (~tens of ms), so no path is several times faster
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const reference = median(times.wrong!);
    for (const name of ['unknown', 'locked', 'disabled']) expect(median(times[name]!)).toBeGreaterThan(reference / 3);
  });
});

describe('the signing secret', () => {
  it('config refuses a missing, short, published or monotonous secret outside development mode', () => {
    for (const JWT_SECRET of [undefined, 'short-secret', ...KNOWN_SECRETS, 'a'.repeat(64), 'abababababababababababababababababab']) {
      const config = loadConfig({ JWT_SECRET });
      expect(() => jwtSecretOf(config)).toThrow(/JWT_SECRET/);
    }
    expect(jwtSecretOf(loadConfig({ JWT_SECRET: 'kP3v9Qx-7LmZ2rT8wYc1NbH5sJd0FgUe4Ao6' }))).toBe('kP3v9Qx-7LmZ2rT8wYc1NbH5sJd0FgUe4Ao6');
    // explicit development mode: a missing secret becomes a random one (stable within the process)
    const dev = loadConfig({ GRID141_DEV_MODE: 'true' });
    const random = jwtSecretOf(dev);
    expect(random.length).toBeGreaterThanOrEqual(48);
    expect(jwtSecretOf(dev)).toBe(random);
    expect(jwtSecretOf(loadConfig({ GRID141_DEV_MODE: 'true' }))).not.toBe(random);
  });

  it('the built API refuses to start on a weak secret and names the variable', async () => {
    for (const JWT_SECRET of ['', 'dev-only-secret-change-me-please', 'too-short']) {
      const { code, stderr } = await run(path.join(ROOT, 'dist/apps/api/src/main.js'), { JWT_SECRET, PORT: '0', DATABASE_URL: process.env.DATABASE_URL! });
      expect(code).not.toBe(0);
      expect(stderr).toMatch(/JWT_SECRET/);
    }
  });
});

function run(script: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const { JWT_SECRET: _drop, ...base } = process.env;
    const child = spawn(process.execPath, [script], { env: { ...base, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stderr }); });
  });
}
