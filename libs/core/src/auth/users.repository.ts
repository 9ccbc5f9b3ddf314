import { Injectable } from '@nestjs/common';
import { DbService } from '../database/db.service.js';
import type { Role } from '#domain';

export interface UserRecord {
  id: string;
  username: string;
  displayName: string;
  passwordHash: string;
  role: Role;
  unitCode: string | null;
  jurisdictionCode: string;
  failedLogins: number;
  lockedUntil: Date | null;
  disabled: boolean;
}

const COLUMNS = `id, username, display_name AS "displayName", password_hash AS "passwordHash", role,
  unit_code AS "unitCode", jurisdiction_code AS "jurisdictionCode", failed_logins AS "failedLogins",
  locked_until AS "lockedUntil", disabled`;

@Injectable()
export class UsersRepository {
  constructor(private readonly db: DbService) {}

  async findByUsername(username: string): Promise<UserRecord | null> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM users WHERE username = $1`, [username]);
    return rows[0] ?? null;
  }

  async findById(id: string): Promise<UserRecord | null> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** Counts a failed login and locks the account when the limit is reached; returns the new state. */
  async recordFailure(id: string, maxFailures: number, lockMinutes: number): Promise<{ failedLogins: number; lockedUntil: Date | null }> {
    const rows = await this.db.query(
      `UPDATE users SET
         failed_logins = CASE WHEN locked_until IS NOT NULL AND locked_until <= now() THEN 1 ELSE failed_logins + 1 END,
         locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= now() THEN NULL
                             WHEN failed_logins + 1 >= $2 THEN now() + make_interval(mins => $3) ELSE locked_until END
       WHERE id = $1 RETURNING failed_logins AS "failedLogins", locked_until AS "lockedUntil"`,
      [id, maxFailures, lockMinutes],
    );
    return rows[0];
  }

  async recordSuccess(id: string): Promise<void> {
    await this.db.query(`UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1`, [id]);
  }
}
