import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { v7 as uuidv7 } from 'uuid';
import type { MeView, SessionTokens } from '#contracts';
import { AppConfig } from '../config/app-config.js';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';
import { Problem } from '../problem/problem.js';
import { AuditService } from '../audit/audit.service.js';
import type { Actor } from './actor.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { passwordPolicyProblem } from './password-policy.js';
import type { RefreshTokenEntity } from './refresh-token.entity.js';
import type { SessionEntity } from './session.entity.js';
import { SessionCache } from './session-cache.js';
import { UsersRepository } from './users.repository.js';
import type { UserRecord } from './users.repository.js';
import { ZwddLoginGateway } from './zwdd-login-gateway.js';

export type { MeView, SessionTokens } from '#contracts';

/** A refresh token with the state of its session (row types from the entities). */
type RefreshTokenState = Pick<RefreshTokenEntity, 'id' | 'userId' | 'usedAt' | 'revokedAt' | 'expiresAt'>
  & { sessionId: RefreshTokenEntity['familyId']; sessionRevokedAt: SessionEntity['revokedAt']; sessionExpiresAt: SessionEntity['expiresAt'] };

/** Claims of an access token. `sid` ties it to a session that logout, refresh reuse or a password change revoke. */
interface AccessClaims {
  sub: string;
  sid: string;
  usr: string;
}

/** Who issues and who accepts the access tokens. */
export const TOKEN_AUDIENCE = 'grid141-api';
export const tokenIssuer = (countyCode: string) => `grid141:${countyCode}`;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
// A fixed dummy hash so that an unknown username, a disabled or a locked account cost as much time as a wrong password.
const DUMMY_HASH = '$argon2id$v=19$m=65536,p=4,t=3$PRoqukA6GQIVkArTZK1ylg$yRGylXogeAP6UEdfwYwFiy8aqz4wqQvYtWCvtm7kOmE';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The one answer to every failed login: an unknown user, a disabled or locked account and a wrong password are
 * indistinguishable to the caller (same status, same body; each costs one argon2 verification).
 */
const loginRefused = () => Problem.unauthorized('wrong username or password, or the account is temporarily locked');

/**
 * Login with a short JWT access token and a rotating refresh token, both bound to a session row. Every request checks
 * that its session is alive and its user enabled, so logout, refresh-token reuse, a password change or disabling a user
 * end access at once. Failed logins are counted atomically before the password is evaluated: N parallel guesses count
 * as N, and guesses past the limit are refused without being evaluated.
 */
@Injectable()
export class AuthService {
  /** Signature and claims already checked for a token (bounded): saves the HMAC, never the session check. */
  private readonly verified = new Map<string, { claims: AccessClaims; exp: number }>();

  constructor(
    private readonly config: AppConfig,
    private readonly jwt: JwtService,
    private readonly users: UsersRepository,
    private readonly db: DbService,
    private readonly audit: AuditService,
    private readonly sessions: SessionCache,
    private readonly zwdd: ZwddLoginGateway,
  ) {}

  async login(username: string, password: string, ip: string | null): Promise<SessionTokens> {
    const attempt = await this.users.reserveAttempt(username, this.config.LOGIN_MAX_FAILURES, this.config.LOGIN_LOCK_MINUTES);
    if (!attempt || attempt.user.disabled) {
      await verifyPassword(DUMMY_HASH, password);
      await this.audit.record({ actorId: attempt?.user.id ?? null, username, action: 'login', outcome: 'failed', ip,
        detail: { reason: attempt ? 'disabled' : 'unknown user' } });
      throw loginRefused();
    }
    const { user } = attempt;
    if (attempt.locked) {
      await verifyPassword(DUMMY_HASH, password);
      await this.audit.record({ actorId: user.id, username, action: 'login', outcome: 'denied', ip,
        detail: { reason: 'locked', attempts: user.failedLogins, lockedUntil: user.lockedUntil?.toISOString() ?? null } });
      throw loginRefused();
    }
    if (!(await verifyPassword(user.passwordHash, password))) {
      const lockedUntil = await this.users.lockIfOverLimit(user.id, this.config.LOGIN_MAX_FAILURES, this.config.LOGIN_LOCK_MINUTES);
      await this.audit.record({ actorId: user.id, username, action: 'login', outcome: 'failed', ip,
        detail: { failures: user.failedLogins, ...(lockedUntil ? { lockedUntil: lockedUntil.toISOString() } : {}) } });
      throw loginRefused();
    }
    await this.users.recordSuccess(user.id);
    return this.db.tx(async (sql) => {
      const sessionId = await this.openSession(sql, user.id, ip);
      await this.audit.record({ actorId: user.id, username, action: 'login', outcome: 'ok', ip, detail: { sessionId } }, sql);
      return this.issue(sql, user, sessionId);
    });
  }

  /**
   * 免登 (浙政钉 login without a password): the page hands over the one-time auth code it got from the 浙政钉 container,
   * and only that; the server exchanges it with 浙政钉 for the account, finds the user bound to that account id
   * (users.zwdd_account_id, set by an administrator) and opens a session exactly as a password login does (same tokens,
   * same audit entry with `method: 'zwdd'`). A must-change-password user gets the same flag (the page asks for the change).
   * The password lockout is not applied: it counts wrong passwords, and there is no password here to guess — the code is
   * minted by 浙政钉 for a person it has authenticated, works once, and a refused one counts against no account.
   * Refusals: 401 (code refused by 浙政钉, account of another tenant, no user bound, user disabled), each with its own
   * problem type and a Chinese + English detail — the caller proved who they are in 浙政钉, so naming the reason discloses
   * nothing; 503 when the gateway is not configured or unreachable; 502 when it refuses our own call (keys, route).
   */
  async loginWithZwdd(authCode: string, ip: string | null): Promise<SessionTokens> {
    const refuse = async (reason: string, type: string, detail: string, extra: Record<string, unknown> = {}, user?: UserRecord) => {
      await this.audit.record({ actorId: user?.id ?? null, username: user?.username ?? null, action: 'login', outcome: 'failed', ip,
        detail: { method: 'zwdd', reason, ...extra } });
      return new Problem(401, 'Unauthorized', detail, [], `urn:grid141:problem:${type}`);
    };
    if (!this.zwdd.configured) {
      throw new Problem(503, 'Service Unavailable', 'not configured: 浙政钉登录未启用 (the 浙政钉 gateway GATEWAY_ZWDD_* is not configured)', [],
        'urn:grid141:problem:zwdd-not-configured');
    }
    const r = await this.zwdd.userByAuthCode(authCode);
    if (!r.ok) {
      // 浙政钉 answered and said no (its `success: false`): the code is unknown, used or expired
      if (r.reason === 'rejected' && r.status >= 200 && r.status < 300) {
        throw await refuse('auth code refused', 'zwdd-code-refused',
          `浙政钉免登码无效、已使用或已过期，请重新进入应用 (the 浙政钉 auth code is invalid, used or expired: ${r.error})`, { error: r.error });
      }
      // the gateway refused our call itself (signature, key, route): a configuration fault on our side, not the user's
      if (r.reason === 'rejected') {
        throw new Problem(502, 'Bad Gateway', `浙政钉网关拒绝了本系统的请求，请联系管理员 (the 浙政钉 gateway refused the call: HTTP ${r.status} ${r.error})`, [],
          'urn:grid141:problem:zwdd-gateway-refused');
      }
      if (r.reason === 'not_configured') {
        throw new Problem(503, 'Service Unavailable', 'not configured: 浙政钉登录未启用 (the 浙政钉 gateway GATEWAY_ZWDD_* is not configured)', [],
          'urn:grid141:problem:zwdd-not-configured');
      }
      throw new Problem(503, 'Service Unavailable', `浙政钉暂时无法访问，请稍后重试或使用密码登录 (the 浙政钉 gateway is unavailable: ${r.error})`, [],
        'urn:grid141:problem:zwdd-unavailable');
    }
    const account = r.body;
    if (account.tenantId !== undefined && account.tenantId !== this.zwdd.tenantId) {
      throw await refuse('other tenant', 'zwdd-unknown-account',
        `该浙政钉账号不属于本单位组织，无法登录 (the 浙政钉 account belongs to another tenant)`, { zwddAccountId: account.accountId, tenantId: account.tenantId });
    }
    const user = await this.users.findByZwddAccount(account.accountId);
    if (!user) {
      throw await refuse('unknown account', 'zwdd-unknown-account',
        '该浙政钉账号未绑定本系统账号，请联系管理员绑定 (no user of this system is bound to this 浙政钉 account)', { zwddAccountId: account.accountId });
    }
    if (user.disabled) {
      throw await refuse('disabled', 'zwdd-account-disabled', '账号已停用，请联系管理员 (the account is disabled)', { zwddAccountId: account.accountId }, user);
    }
    return this.db.tx(async (sql) => {
      const sessionId = await this.openSession(sql, user.id, ip);
      await this.audit.record({ actorId: user.id, username: user.username, action: 'login', outcome: 'ok', ip,
        detail: { sessionId, method: 'zwdd', zwddAccountId: account.accountId } }, sql);
      return this.issue(sql, user, sessionId);
    });
  }

  async refresh(refreshToken: string, ip: string | null = null): Promise<SessionTokens> {
    const invalid = () => Problem.unauthorized('refresh token is invalid or expired');
    let reusedSession: string | null = null;
    return this.db.tx(async (sql) => {
      const [token] = await sql.query<RefreshTokenState>(
        `SELECT t.id, t.user_id AS "userId", t.family_id AS "sessionId", t.used_at AS "usedAt", t.revoked_at AS "revokedAt",
                t.expires_at AS "expiresAt", s.revoked_at AS "sessionRevokedAt", s.expires_at AS "sessionExpiresAt"
           FROM refresh_tokens t JOIN sessions s ON s.id = t.family_id
          WHERE t.token_hash = $1 FOR UPDATE OF t, s`, [sha256(refreshToken)]);
      const now = Date.now();
      if (!token || token.revokedAt || token.sessionRevokedAt || token.expiresAt.getTime() <= now || token.sessionExpiresAt.getTime() <= now) {
        throw invalid();
      }
      if (token.usedAt) {
        // reuse of a rotated token: someone else holds the session. End it (and its access tokens) at once.
        await this.revokeSessions(sql, 'id = $1', [token.sessionId], 'refresh_reuse');
        reusedSession = token.sessionId;
        await this.audit.record({ actorId: token.userId, action: 'refresh_reuse', outcome: 'denied', ip, detail: { sessionId: token.sessionId } }, sql);
        return null;
      }
      await sql.query(`UPDATE refresh_tokens SET used_at = now() WHERE id = $1`, [token.id]);
      const user = await this.users.findById(token.userId, sql);
      if (!user || user.disabled) throw invalid();
      return this.issue(sql, user, token.sessionId);
    }).then((tokens) => {
      // the revocation above must commit, so the refusal is thrown after the transaction
      if (!tokens) {
        this.sessions.forgetSession(reusedSession!);
        throw Problem.unauthorized('refresh token was already used; the session is revoked');
      }
      return tokens;
    });
  }

  /**
   * Verifies an access token: signature (HS256 only), issuer, audience, expiry (required), then that its session is
   * alive and its user exists and is enabled — from the session cache, which every revocation or user change empties at
   * commit (NOTIFY), so a revoked session is refused at once. Role, unit and jurisdiction come from the user row, so a
   * change applies at once too. Throws 401 otherwise.
   */
  async verify(accessToken: string): Promise<Actor> {
    const refused = () => Problem.unauthorized('access token is missing, invalid, expired or revoked');
    let claims: AccessClaims;
    const hit = this.verified.get(accessToken);
    if (hit && hit.exp > Date.now()) {
      claims = hit.claims;
    } else {
      let c: AccessClaims & { exp?: unknown; iat?: unknown };
      try {
        c = await this.jwt.verifyAsync(accessToken, { issuer: tokenIssuer(this.config.COUNTY_CODE), audience: TOKEN_AUDIENCE });
      } catch {
        throw refused();
      }
      // jsonwebtoken accepts a token without exp; we do not
      if (typeof c.exp !== 'number' || typeof c.iat !== 'number' || typeof c.sub !== 'string' || !UUID.test(c.sub)
        || typeof c.sid !== 'string' || !UUID.test(c.sid) || c.exp - c.iat > this.config.ACCESS_TOKEN_TTL_SECONDS + 60) throw refused();
      claims = { sub: c.sub, sid: c.sid, usr: String(c.usr) };
      if (this.verified.size >= 10_000) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(accessToken, { claims, exp: c.exp * 1000 });
    }
    const actor = await this.sessions.get(claims.sid, claims.sub, () => this.users.activeSession(claims.sid, claims.sub));
    if (!actor) {
      this.verified.delete(accessToken);
      throw refused();
    }
    return actor;
  }

  /** Whether a session is alive and its user enabled (what a signed link made for that session relies on). */
  async sessionAlive(sessionId: string, userId: string): Promise<boolean> {
    if (!UUID.test(sessionId) || !UUID.test(userId)) return false;
    return (await this.sessions.get(sessionId, userId, () => this.users.activeSession(sessionId, userId))) !== null;
  }

  /** Ends the caller's session: its refresh token and every access token of it stop working at once. */
  async logout(actor: Actor, ip: string | null): Promise<void> {
    await this.db.tx(async (sql) => {
      await this.revokeSessions(sql, 'id = $1', [actor.sessionId], 'logout');
      await this.audit.record({ actorId: actor.id, username: actor.username, action: 'logout', outcome: 'ok', ip,
        detail: { sessionId: actor.sessionId } }, sql);
    });
    this.sessions.forgetSession(actor.sessionId);
  }

  /**
   * Changes the caller's password after checking the current one (a wrong one counts toward the lockout). Every session
   * of the user ends, including this one; the answer carries tokens for a new session.
   */
  async changePassword(actor: Actor, currentPassword: string, newPassword: string, ip: string | null): Promise<SessionTokens> {
    const attempt = await this.users.reserveAttempt(actor.username, this.config.LOGIN_MAX_FAILURES, this.config.LOGIN_LOCK_MINUTES);
    if (!attempt || attempt.user.disabled) throw Problem.unauthorized('access token is missing, invalid, expired or revoked');
    const { user } = attempt;
    const ok = !attempt.locked && (await verifyPassword(user.passwordHash, currentPassword));
    if (!ok) {
      if (!attempt.locked) await this.users.lockIfOverLimit(user.id, this.config.LOGIN_MAX_FAILURES, this.config.LOGIN_LOCK_MINUTES);
      await this.audit.record({ actorId: user.id, username: user.username, action: 'password_change', outcome: 'failed', ip,
        detail: { reason: attempt.locked ? 'locked' : 'wrong current password' } });
      throw Problem.invalidField('currentPassword', 'is wrong, or the account is temporarily locked');
    }
    await this.users.recordSuccess(user.id);
    const policy = passwordPolicyProblem(newPassword, user.username);
    if (policy) throw Problem.invalidField('newPassword', policy);
    if (await verifyPassword(user.passwordHash, newPassword)) throw Problem.invalidField('newPassword', 'must differ from the current password');
    const hash = await hashPassword(newPassword);
    return this.db.tx(async (sql) => {
      await sql.query(`UPDATE users SET password_hash = $2, password_changed_at = now(), must_change_password = false WHERE id = $1`, [user.id, hash]);
      const ended = await this.revokeSessions(sql, 'user_id = $1', [user.id], 'password_change');
      const sessionId = await this.openSession(sql, user.id, ip);
      await this.audit.record({ actorId: user.id, username: user.username, action: 'password_change', outcome: 'ok', ip,
        detail: { sessionsEnded: ended, sessionId } }, sql);
      return this.issue(sql, { ...user, mustChangePassword: false }, sessionId);
    }).finally(() => this.sessions.forgetUser(user.id));
  }

  me(actor: Actor): MeView {
    return { id: actor.id, username: actor.username, role: actor.role, unitCode: actor.unitCode, jurisdictionCode: actor.jurisdictionCode };
  }

  /** Revokes the matching live sessions and their refresh tokens; returns how many sessions ended. */
  private async revokeSessions(sql: Sql, where: string, params: unknown[], reason: string): Promise<number> {
    const ended = await sql.query<{ id: string }>(
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $${params.length + 1} WHERE ${where} AND revoked_at IS NULL RETURNING id`,
      [...params, reason]);
    if (ended.length > 0) {
      await sql.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = ANY($1::uuid[]) AND revoked_at IS NULL`, [ended.map((s) => s.id)]);
    }
    return ended.length;
  }

  private async openSession(sql: Sql, userId: string, ip: string | null): Promise<string> {
    const id = uuidv7();
    await sql.query(`INSERT INTO sessions (id, user_id, expires_at, ip) VALUES ($1, $2, now() + make_interval(secs => $3), $4)`,
      [id, userId, this.config.REFRESH_TOKEN_TTL_SECONDS, ip]);
    return id;
  }

  private async issue(sql: Sql, user: UserRecord, sessionId: string): Promise<SessionTokens> {
    const claims: AccessClaims = { sub: user.id, sid: sessionId, usr: user.username };
    const accessToken = await this.jwt.signAsync(claims, { expiresIn: this.config.ACCESS_TOKEN_TTL_SECONDS,
      issuer: tokenIssuer(this.config.COUNTY_CODE), audience: TOKEN_AUDIENCE });
    const refreshToken = randomBytes(32).toString('base64url');
    // a refresh token never outlives its session
    await sql.query(
      `INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at)
       SELECT $1, $2, $3, $4, least(now() + make_interval(secs => $5), s.expires_at) FROM sessions s WHERE s.id = $3`,
      [uuidv7(), user.id, sessionId, sha256(refreshToken), this.config.REFRESH_TOKEN_TTL_SECONDS],
    );
    return {
      accessToken,
      refreshToken,
      expiresIn: this.config.ACCESS_TOKEN_TTL_SECONDS,
      user: { id: user.id, username: user.username, displayName: user.displayName, role: user.role,
        regionCode: user.jurisdictionCode, unitCode: user.unitCode, mustChangePassword: user.mustChangePassword },
    };
  }
}
