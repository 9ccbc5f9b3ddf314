import { Injectable } from '@nestjs/common';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';
import type { AuditEntryEntity } from './audit-entry.entity.js';

/** An audit line to record: action and outcome are required, the other columns optional (id and time are the database's). */
export type AuditEntry = Pick<AuditEntryEntity, 'action' | 'outcome'>
  & Partial<Pick<AuditEntryEntity, 'actorId' | 'username' | 'target' | 'ip' | 'detail'>>;

/** Audit log of logins, permission denials and exports (kept ≥ 6 months: 等保 level 3). */
@Injectable()
export class AuditService {
  constructor(private readonly db: DbService) {}

  async record(entry: AuditEntry, sql: Sql = this.db): Promise<void> {
    await sql.query(
      `INSERT INTO audit_log (actor_id, username, action, target, outcome, ip, detail) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
      [entry.actorId ?? null, entry.username ?? null, entry.action, entry.target ?? null, entry.outcome,
        entry.ip ?? null, JSON.stringify(entry.detail ?? {})],
    );
  }
}
