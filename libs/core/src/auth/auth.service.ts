import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { v7 as uuidv7 } from 'uuid';
import type { Role } from '#domain';
import { AppConfig } from '../config/app-config.js';
import { DbService } from '../database/db.service.js';
import { Problem } from '../problem/problem.js';
import { AuditService } from '../audit/audit.service.js';
import type { Actor } from './actor.js';
import { verifyPassword } from './passwords.js';
import { UsersRepository } from './users.repository.js';
import type { UserRecord } from './users.repository.js';

export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: { id: string; username: string; displayName: string; role: Role; regionCode: string; unitCode: string | null };
}

interface AccessClaims {
  sub: string;
  usr: string;
  role: Role;
  unit: string | null;
  jur: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
// A fixed dummy hash so that an unknown username costs as much time as a wrong password.
const DUMMY_HASH = '$argon2id$v=19$m=65536,p=4,t=3$PRoqukA6GQIVkArTZK1ylg$yRGylXogeAP6UEdfwYwFiy8aqz4wqQvYtWCvtm7kOmE';

/**
 * Login with a short JWT access token and a rotating refresh token: each refresh token works once;
 * presenting a used one again revokes its whole family (token theft). Repeated failures lock the account.
 */
@Injectable()
export class AuthService {
  private readonly verified = new Map<string, { actor: Actor; exp: number }>();

  constructor(
    private readonly config: AppConfig,
    private readonly jwt: JwtService,
    private readonly users: UsersRepository,
    private readonly db: DbService,
    private readonly audit: AuditService,
  ) {}

  async login(username: string, password: string, ip: string | null): Promise<SessionTokens> {
    const user = await this.users.findByUsername(username);
    if (!user || user.disabled) {
      await verifyPassword(DUMMY_HASH, password);
      await this.audit.record({ username, action: 'login', outcome: 'failed', ip, detail: { reason: 'unknown user' } });
      throw Problem.unauthorized('wrong username or password');
    }
    if (user.lockedUntil && user.lockedUntil.getTime() > Date.now()) {
      await this.audit.record({ actorId: user.id, username, action: 'login', outcome: 'denied', ip, detail: { reason: 'locked' } });
      throw new Problem(423, 'Locked', `account locked until ${user.lockedUntil.toISOString()} after repeated failed logins`,
        [], 'urn:grid141:problem:account-locked');
    }
    if (!(await verifyPassword(user.passwordHash, password))) {
      const state = await this.users.recordFailure(user.id, this.config.LOGIN_MAX_FAILURES, this.config.LOGIN_LOCK_MINUTES);
      await this.audit.record({ actorId: user.id, username, action: 'login', outcome: 'failed', ip, detail: { failures: state.failedLogins } });
      throw Problem.unauthorized('wrong username or password');
    }
    await this.users.recordSuccess(user.id);
    await this.audit.record({ actorId: user.id, username, action: 'login', outcome: 'ok', ip });
    return this.issue(user, uuidv7());
  }

  async refresh(refreshToken: string): Promise<SessionTokens> {
    const rows = await this.db.query<{ id: string; userId: string; familyId: string; usedAt: Date | null; revokedAt: Date | null; expiresAt: Date }>(
      `SELECT id, user_id AS "userId", family_id AS "familyId", used_at AS "usedAt", revoked_at AS "revokedAt", expires_at AS "expiresAt"
         FROM refresh_tokens WHERE token_hash = $1`, [sha256(refreshToken)]);
    const token = rows[0];
    if (!token || token.revokedAt || token.expiresAt.getTime() <= Date.now()) throw Problem.unauthorized('refresh token is invalid or expired');
    if (token.usedAt) {
      // Reuse of a rotated token: someone else holds the family. Revoke all of it.
      await this.db.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, [token.familyId]);
      await this.audit.record({ actorId: token.userId, action: 'refresh_reuse', outcome: 'denied', detail: { familyId: token.familyId } });
      throw Problem.unauthorized('refresh token was already used; the session is revoked');
    }
    const claimed = await this.db.exec(`UPDATE refresh_tokens SET used_at = now() WHERE id = $1 AND used_at IS NULL`, [token.id]);
    if (claimed.rowCount !== 1) throw Problem.unauthorized('refresh token was already used');
    const user = await this.users.findById(token.userId);
    if (!user || user.disabled) throw Problem.unauthorized('user is disabled');
    return this.issue(user, token.familyId);
  }

  /**
   * Verifies an access token; returns the actor or throws 401. A verified token is remembered until it expires
   * (a bounded map), so a phone resubmitting its queue is not re-verified on every request.
   */
  async verify(accessToken: string): Promise<Actor> {
    const hit = this.verified.get(accessToken);
    if (hit && hit.exp > Date.now()) return hit.actor;
    try {
      const c = await this.jwt.verifyAsync<AccessClaims & { exp: number }>(accessToken);
      const actor: Actor = { id: c.sub, username: c.usr, role: c.role, unitCode: c.unit, jurisdictionCode: c.jur };
      if (this.verified.size >= 10_000) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(accessToken, { actor, exp: c.exp * 1000 });
      return actor;
    } catch {
      throw Problem.unauthorized('access token is missing, invalid or expired');
    }
  }

  private async issue(user: UserRecord, familyId: string): Promise<SessionTokens> {
    const claims: AccessClaims = { sub: user.id, usr: user.username, role: user.role, unit: user.unitCode, jur: user.jurisdictionCode };
    const accessToken = await this.jwt.signAsync(claims, { expiresIn: this.config.ACCESS_TOKEN_TTL_SECONDS });
    const refreshToken = randomBytes(32).toString('base64url');
    await this.db.query(
      `INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
      [uuidv7(), user.id, familyId, sha256(refreshToken), this.config.REFRESH_TOKEN_TTL_SECONDS],
    );
    return {
      accessToken,
      refreshToken,
      expiresIn: this.config.ACCESS_TOKEN_TTL_SECONDS,
      user: { id: user.id, username: user.username, displayName: user.displayName, role: user.role,
        regionCode: user.jurisdictionCode, unitCode: user.unitCode },
    };
  }
}
