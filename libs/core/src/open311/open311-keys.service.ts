import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { AuditService } from '../audit/audit.service.js';
import type { Actor } from '../auth/actor.js';
import { DbService } from '../database/db.service.js';
import { Problem } from '../problem/problem.js';
import { OPEN311_REPORTER_ROLES, open311KeyHash } from './open311.service.js';

/** An Open311 API key as the console lists it: never the key itself (only its first characters). */
export interface Open311KeyView {
  id: string;
  name: string;
  keyPrefix: string;
  serviceUserId: string;
  serviceUsername: string;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** A key just issued: the one answer that carries the key. */
export interface IssuedOpen311Key extends Open311KeyView {
  apiKey: string;
}

export interface IssueOpen311Key {
  name: string;
  /** The reporting account (grid worker, township dispatcher or county operator) the key's requests are filed as. */
  serviceUsername: string;
}

const KEY_SELECT = `SELECT k.id, k.name, k.key_prefix AS "keyPrefix", k.service_user_id AS "serviceUserId", u.username AS "serviceUsername",
  k.created_at AS "createdAt", k.revoked_at AS "revokedAt", k.last_used_at AS "lastUsedAt"
  FROM open311_clients k JOIN users u ON u.id = k.service_user_id`;

interface KeyRow { id: string; name: string; keyPrefix: string; serviceUserId: string; serviceUsername: string; createdAt: Date; revokedAt: Date | null; lastUsedAt: Date | null }

const toView = (r: KeyRow): Open311KeyView => ({ ...r, createdAt: r.createdAt.toISOString(), revokedAt: r.revokedAt?.toISOString() ?? null,
  lastUsedAt: r.lastUsedAt?.toISOString() ?? null });

/** Open311 API keys (admin only): issue (the key shown once, its SHA-256 kept), list, revoke; every change audited. */
@Injectable()
export class Open311KeysService {
  constructor(private readonly db: DbService, private readonly audit: AuditService) {}

  private requireAdmin(actor: Actor): void {
    if (actor.role !== 'admin') throw Problem.forbidden('only an administrator may manage Open311 API keys');
  }

  async list(actor: Actor): Promise<Open311KeyView[]> {
    this.requireAdmin(actor);
    return (await this.db.query<KeyRow>(`${KEY_SELECT} ORDER BY k.created_at DESC, k.id`)).map(toView);
  }

  async issue(actor: Actor, input: IssueOpen311Key, ip: string | null): Promise<IssuedOpen311Key> {
    this.requireAdmin(actor);
    return this.db.tx(async (sql) => {
      const [user] = await sql.query<{ id: string; role: string; disabled: boolean }>(`SELECT id, role, disabled FROM users WHERE username = $1`, [input.serviceUsername]);
      if (!user) throw Problem.invalidField('serviceUsername', `no user ${input.serviceUsername}`);
      if (user.disabled) throw Problem.invalidField('serviceUsername', `user ${input.serviceUsername} is disabled`);
      if (!(OPEN311_REPORTER_ROLES as readonly string[]).includes(user.role)) {
        throw Problem.invalidField('serviceUsername', `user ${input.serviceUsername} is a ${user.role}; reports can be filed as a ${OPEN311_REPORTER_ROLES.join(', ')}`);
      }
      const apiKey = `o311_${randomBytes(32).toString('base64url')}`;
      const id = uuidv7();
      await sql.query(`INSERT INTO open311_clients (id, name, key_prefix, key_hash, service_user_id, created_by) VALUES ($1, $2, $3, $4, $5, $6)`,
        [id, input.name, apiKey.slice(0, 12), open311KeyHash(apiKey), user.id, actor.id]);
      const [row] = await sql.query<KeyRow>(`${KEY_SELECT} WHERE k.id = $1`, [id]);
      await this.audit.record({ actorId: actor.id, username: actor.username, action: 'open311_key.issue', target: id, outcome: 'ok', ip,
        detail: { name: input.name, keyPrefix: row!.keyPrefix, serviceUsername: input.serviceUsername } }, sql);
      return { ...toView(row!), apiKey };
    });
  }

  /** Revokes a key at once (a revoked key is refused with 403); revoking it again changes nothing. */
  async revoke(actor: Actor, id: string, ip: string | null): Promise<Open311KeyView> {
    this.requireAdmin(actor);
    return this.db.tx(async (sql) => {
      const [before] = await sql.query<KeyRow>(`${KEY_SELECT} WHERE k.id = $1 FOR UPDATE OF k`, [id]);
      if (!before) throw Problem.notFound(`Open311 key ${id}`);
      if (before.revokedAt) return toView(before);
      await sql.query(`UPDATE open311_clients SET revoked_at = now(), revoked_by = $2 WHERE id = $1`, [id, actor.id]);
      const [after] = await sql.query<KeyRow>(`${KEY_SELECT} WHERE k.id = $1`, [id]);
      await this.audit.record({ actorId: actor.id, username: actor.username, action: 'open311_key.revoke', target: id, outcome: 'ok', ip,
        detail: { name: before.name, keyPrefix: before.keyPrefix } }, sql);
      return toView(after!);
    });
  }
}
