import { Injectable } from '@nestjs/common';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';
import type { Actor } from './actor.js';
import type { UserEntity } from './user.entity.js';

/** A user as the auth service reads it (the row type comes from the entity, the one definition of the table). */
export type UserRecord = Pick<UserEntity, 'id' | 'username' | 'displayName' | 'passwordHash' | 'role' | 'unitCode' | 'jurisdictionCode'
  | 'failedLogins' | 'lockedUntil' | 'disabled' | 'mustChangePassword'>;

/** A login attempt that has been counted: `locked` means it must be refused without evaluating the password. */
export interface ReservedAttempt {
  user: UserRecord;
  locked: boolean;
}

const COLUMNS = `id, username, display_name AS "displayName", password_hash AS "passwordHash", role,
  unit_code AS "unitCode", jurisdiction_code AS "jurisdictionCode", failed_logins AS "failedLogins",
  locked_until AS "lockedUntil", disabled, must_change_password AS "mustChangePassword"`;

@Injectable()
export class UsersRepository {
  constructor(private readonly db: DbService) {}

  async findById(id: string, sql: Sql = this.db): Promise<UserRecord | null> {
    const rows = await sql.query(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** The user bound to a 浙政钉 account (免登), or null. */
  async findByZwddAccount(accountId: string, sql: Sql = this.db): Promise<UserRecord | null> {
    const rows = await sql.query(`SELECT ${COLUMNS} FROM users WHERE zwdd_account_id = $1`, [accountId]);
    return rows[0] ?? null;
  }

  /**
   * Counts a login attempt before its password is evaluated, in one atomic statement, so parallel guesses each take
   * their own number. An expired lock starts a fresh count. The attempt is `locked` when the account is locked or the
   * count is past the limit (a guess racing the one that reached the limit); the first such attempt starts the lock
   * clock if the attempt that reached the limit has not set it yet. null: no such user.
   */
  async reserveAttempt(username: string, maxFailures: number, lockMinutes: number): Promise<ReservedAttempt | null> {
    const rows = await this.db.query<UserRecord>(
      `UPDATE users SET
         failed_logins = CASE WHEN locked_until IS NOT NULL AND locked_until <= now() THEN 1 ELSE failed_logins + 1 END,
         locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= now() THEN NULL
                             WHEN locked_until IS NULL AND failed_logins + 1 > $2 THEN now() + make_interval(mins => $3)
                             ELSE locked_until END
       WHERE username = $1 RETURNING ${COLUMNS}`,
      [username, maxFailures, lockMinutes], 'auth_reserve_attempt');
    const user = rows[0];
    if (!user) return null;
    const locked = (user.lockedUntil !== null && user.lockedUntil.getTime() > Date.now()) || user.failedLogins > maxFailures;
    return { user, locked };
  }

  /** After a wrong password: locks the account when its count has reached the limit. Returns the lock's end, if any. */
  async lockIfOverLimit(id: string, maxFailures: number, lockMinutes: number): Promise<Date | null> {
    const rows = await this.db.query<{ lockedUntil: Date }>(
      `UPDATE users SET locked_until = now() + make_interval(mins => $3)
        WHERE id = $1 AND failed_logins >= $2 AND (locked_until IS NULL OR locked_until <= now())
        RETURNING locked_until AS "lockedUntil"`, [id, maxFailures, lockMinutes]);
    return rows[0]?.lockedUntil ?? null;
  }

  async recordSuccess(id: string): Promise<void> {
    await this.db.query(`UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1`, [id]);
  }

  /**
   * The actor of a live session: the session exists, is neither revoked nor expired, belongs to this user, and the user
   * is enabled. One indexed lookup on every authenticated request (a prepared statement).
   */
  async activeSession(sessionId: string, userId: string): Promise<Actor | null> {
    const rows = await this.db.query<Actor>(
      `SELECT u.id, u.username, u.role, u.unit_code AS "unitCode", u.jurisdiction_code AS "jurisdictionCode", s.id AS "sessionId",
              u.must_change_password AS "mustChangePassword"
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now() AND NOT u.disabled`,
      [sessionId, userId], 'auth_active_session');
    return rows[0] ?? null;
  }
}
