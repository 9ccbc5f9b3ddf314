import { Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import type { Role } from '#domain';
import type { PasswordReset, PersonalDataView, UserAdminList, UserAdminView, UserCreated } from '#contracts';
import { AppConfig } from '../config/app-config.js';
import { AuditService } from '../audit/audit.service.js';
import type { Actor } from '../auth/actor.js';
import { SessionCache } from '../auth/session-cache.js';
import type { UserEntity } from '../auth/user.entity.js';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';
import { Problem } from '../problem/problem.js';
import { PiiCipher } from '../pii/pii-cipher.js';
import { idNumberProblem, maskIdNumber, maskPhone, normalizeIdNumber, normalizePhone, phoneProblem } from '../pii/personal-data.js';
import { allocateUsername, hashTemporaryPassword, lockUsernames, Places, temporaryPassword, usernameBase } from './placement.js';
import type { Placement } from './placement.js';

/** A user row as the administration reads it (row type from the entity). */
export type AdminUserRow = Pick<UserEntity, 'id' | 'username' | 'displayName' | 'role' | 'unitCode' | 'jurisdictionCode' | 'disabled'
  | 'mustChangePassword' | 'lockedUntil' | 'createdAt' | 'phoneEnc' | 'phoneIndex' | 'idNumberEnc' | 'idNumberIndex' | 'zwddAccountId'>;

export const ADMIN_USER_COLUMNS = `id, username, display_name AS "displayName", role, unit_code AS "unitCode",
  jurisdiction_code AS "jurisdictionCode", disabled, must_change_password AS "mustChangePassword", locked_until AS "lockedUntil",
  created_at AS "createdAt", phone_enc AS "phoneEnc", phone_index AS "phoneIndex", id_number_enc AS "idNumberEnc", id_number_index AS "idNumberIndex",
  zwdd_account_id AS "zwddAccountId"`;

export interface NewUser extends Placement {
  username?: string;
  displayName: string;
  phone?: string | null;
  idNumber?: string | null;
  /** 浙政钉 accountId (免登); unique: another account's is a 409. */
  zwddAccountId?: string | null;
}

export interface UserChanges {
  displayName?: string;
  role?: Role;
  unitCode?: string | null;
  jurisdictionCode?: string;
  phone?: string | null;
  idNumber?: string | null;
  /** null unbinds the 浙政钉 account. */
  zwddAccountId?: string | null;
}

export interface UserFilter {
  q?: string;
  role?: Role;
  unitCode?: string;
  jurisdiction?: string;
  disabled?: boolean;
  phone?: string;
  idNumber?: string;
  limit: number;
  offset: number;
}

/** A user as the audit log records it: personal data masked. */
type AuditForm = Pick<UserAdminView, 'username' | 'displayName' | 'role' | 'unitCode' | 'jurisdictionCode' | 'disabled' | 'phone' | 'idNumber' | 'zwddAccountId'>;

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * People administration (用户管理), admin only: accounts, their placement (role, unit, jurisdiction: DOMAIN §5), their
 * personal data (encrypted at rest, masked in every answer, unmasked only with a reason), disabling and password
 * resets. Every change is written to the audit log with who, what, and before/after (personal data masked).
 */
@Injectable()
export class UserAdminService {
  constructor(
    private readonly db: DbService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly pii: PiiCipher,
    private readonly sessions: SessionCache,
  ) {}

  requireAdmin(actor: Actor): void {
    if (actor.role !== 'admin') throw Problem.forbidden('only an administrator may manage users');
  }

  /** The masked view of a row. */
  view(row: AdminUserRow): UserAdminView {
    return {
      id: row.id, username: row.username, displayName: row.displayName, role: row.role, unitCode: row.unitCode,
      jurisdictionCode: row.jurisdictionCode, disabled: row.disabled, mustChangePassword: row.mustChangePassword,
      lockedUntil: row.lockedUntil && row.lockedUntil.getTime() > Date.now() ? row.lockedUntil.toISOString() : null,
      phone: row.phoneEnc ? maskPhone(this.pii.decrypt('phone', row.phoneEnc)) : null,
      idNumber: row.idNumberEnc ? maskIdNumber(this.pii.decrypt('id_number', row.idNumberEnc)) : null,
      zwddAccountId: row.zwddAccountId,
      createdAt: row.createdAt.toISOString(),
    };
  }

  auditForm(row: AdminUserRow): AuditForm {
    const { username, displayName, role, unitCode, jurisdictionCode, disabled, phone, idNumber, zwddAccountId } = this.view(row);
    return { username, displayName, role, unitCode, jurisdictionCode, disabled, phone, idNumber, zwddAccountId };
  }

  /** Normal form, ciphertext and blind index of a phone number (422 naming `field` when it is not a mobile number). */
  sealPhone(raw: string, field = 'phone'): { value: string; enc: Buffer; index: Buffer } {
    const problem = phoneProblem(raw);
    if (problem) throw Problem.invalidField(field, problem);
    const value = normalizePhone(raw);
    return { value, enc: this.pii.encrypt('phone', value), index: this.pii.index('phone', value) };
  }

  sealIdNumber(raw: string, field = 'idNumber'): { value: string; enc: Buffer; index: Buffer } {
    const problem = idNumberProblem(raw);
    if (problem) throw Problem.invalidField(field, problem);
    const value = normalizeIdNumber(raw);
    return { value, enc: this.pii.encrypt('id_number', value), index: this.pii.index('id_number', value) };
  }

  phoneIndex(raw: string): Buffer | null {
    return phoneProblem(raw) ? null : this.pii.index('phone', normalizePhone(raw));
  }

  idNumberIndex(raw: string): Buffer | null {
    return idNumberProblem(raw) ? null : this.pii.index('id_number', normalizeIdNumber(raw));
  }

  /** Search; `phone` and `idNumber` match exactly through the blind indexes (the API takes them in a body, never a URL). */
  async list(actor: Actor, f: UserFilter): Promise<UserAdminList> {
    this.requireAdmin(actor);
    // an exact search for a value that cannot be a phone or ID number matches nobody (no index to compare)
    const phone = f.phone === undefined ? null : this.phoneIndex(f.phone) ?? Buffer.alloc(0);
    const idNumber = f.idNumber === undefined ? null : this.idNumberIndex(f.idNumber) ?? Buffer.alloc(0);
    const where = `($1::text IS NULL OR role = $1) AND ($2::text IS NULL OR unit_code = $2)
      AND ($3::text IS NULL OR jurisdiction_code LIKE $3 || '%') AND ($4::boolean IS NULL OR disabled = $4)
      AND ($5::text IS NULL OR username ILIKE '%' || $5 || '%' OR display_name ILIKE '%' || $5 || '%')
      AND ($6::bytea IS NULL OR phone_index = $6) AND ($7::bytea IS NULL OR id_number_index = $7)`;
    const params = [f.role ?? null, f.unitCode ?? null, f.jurisdiction ?? null, f.disabled ?? null,
      f.q === undefined ? null : likeEscape(f.q.trim()), phone, idNumber];
    const [rows, [count]] = await Promise.all([
      this.db.query<AdminUserRow>(`SELECT ${ADMIN_USER_COLUMNS} FROM users WHERE ${where} ORDER BY username LIMIT $8 OFFSET $9`,
        [...params, f.limit, f.offset]),
      this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE ${where}`, params),
    ]);
    return { items: rows.map((r) => this.view(r)), total: count!.n };
  }

  async get(actor: Actor, id: string): Promise<UserAdminView> {
    this.requireAdmin(actor);
    return this.view(await this.row(this.db, id));
  }

  async create(actor: Actor, input: NewUser, ip: string | null): Promise<UserCreated> {
    this.requireAdmin(actor);
    const phone = input.phone ? this.sealPhone(input.phone) : null;
    const idNumber = input.idNumber ? this.sealIdNumber(input.idNumber) : null;
    const password = temporaryPassword();
    const hash = await hashTemporaryPassword(password);
    const row = await this.db.tx(async (sql) => {
      await this.checkPlacement(sql, input);
      await lockUsernames(sql);
      await this.checkUnique(sql, null, phone?.index ?? null, idNumber?.index ?? null);
      await this.checkZwddUnique(sql, null, input.zwddAccountId ?? null);
      let username = input.username;
      if (username !== undefined) {
        if ((await sql.query(`SELECT 1 FROM users WHERE username = $1`, [username])).length > 0) throw Problem.conflict(`username ${username} is taken`);
      } else {
        const base = usernameBase(input);
        const taken = await sql.query<{ username: string }>(`SELECT username FROM users WHERE username = $1 OR username LIKE $2`,
          [base, `${likeEscape(base)}.%`]);
        username = allocateUsername(base, new Set(taken.map((t) => t.username)));
      }
      const [created] = await sql.query<AdminUserRow>(
        `INSERT INTO users (id, username, display_name, password_hash, role, unit_code, jurisdiction_code, must_change_password,
           phone_enc, phone_index, id_number_enc, id_number_index, zwdd_account_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, true, $8, $9, $10, $11, $12) RETURNING ${ADMIN_USER_COLUMNS}`,
        [uuidv7(), username, input.displayName, hash, input.role, input.unitCode, input.jurisdictionCode,
          phone?.enc ?? null, phone?.index ?? null, idNumber?.enc ?? null, idNumber?.index ?? null, input.zwddAccountId ?? null]);
      await this.audit.record({ actorId: actor.id, username: actor.username, action: 'user.create', target: created!.id, outcome: 'ok', ip,
        detail: { before: null, after: this.auditForm(created!) } }, sql);
      return created!;
    });
    return { user: this.view(row), temporaryPassword: password };
  }

  async update(actor: Actor, id: string, changes: UserChanges, ip: string | null): Promise<UserAdminView> {
    this.requireAdmin(actor);
    const phone = changes.phone ? this.sealPhone(changes.phone) : changes.phone === null ? null : undefined;
    const idNumber = changes.idNumber ? this.sealIdNumber(changes.idNumber) : changes.idNumber === null ? null : undefined;
    return this.db.tx(async (sql) => {
      const before = await this.row(sql, id, true);
      const next: Placement = { role: changes.role ?? before.role, unitCode: changes.unitCode !== undefined ? changes.unitCode : before.unitCode,
        jurisdictionCode: changes.jurisdictionCode ?? before.jurisdictionCode };
      if (id === actor.id && next.role !== 'admin') throw Problem.invalidField('role', 'an administrator cannot take away their own admin role');
      await this.checkPlacement(sql, next);
      await this.checkUnique(sql, id, phone?.index ?? null, idNumber?.index ?? null);
      await this.checkZwddUnique(sql, id, changes.zwddAccountId ?? null);
      const [after] = await sql.query<AdminUserRow>(
        `UPDATE users SET display_name = $2, role = $3, unit_code = $4, jurisdiction_code = $5,
           phone_enc = CASE WHEN $6 THEN $7::bytea ELSE phone_enc END, phone_index = CASE WHEN $6 THEN $8::bytea ELSE phone_index END,
           id_number_enc = CASE WHEN $9 THEN $10::bytea ELSE id_number_enc END, id_number_index = CASE WHEN $9 THEN $11::bytea ELSE id_number_index END,
           zwdd_account_id = CASE WHEN $12 THEN $13::varchar ELSE zwdd_account_id END
         WHERE id = $1 RETURNING ${ADMIN_USER_COLUMNS}`,
        [id, changes.displayName ?? before.displayName, next.role, next.unitCode, next.jurisdictionCode,
          phone !== undefined, phone?.enc ?? null, phone?.index ?? null, idNumber !== undefined, idNumber?.enc ?? null, idNumber?.index ?? null,
          changes.zwddAccountId !== undefined, changes.zwddAccountId ?? null]);
      await this.audit.record({ actorId: actor.id, username: actor.username, action: 'user.update', target: id, outcome: 'ok', ip,
        detail: { before: this.auditForm(before), after: this.auditForm(after!) } }, sql);
      return this.view(after!);
    });
  }

  /** Disables (every session ends at once) or re-enables an account. Idempotent. */
  async setDisabled(actor: Actor, id: string, disabled: boolean, ip: string | null): Promise<UserAdminView> {
    this.requireAdmin(actor);
    if (disabled && id === actor.id) throw Problem.conflict('an administrator cannot disable their own account');
    const row = await this.db.tx(async (sql) => {
      const before = await this.row(sql, id, true);
      const [after] = await sql.query<AdminUserRow>(`UPDATE users SET disabled = $2 WHERE id = $1 RETURNING ${ADMIN_USER_COLUMNS}`, [id, disabled]);
      const ended = disabled ? await this.endSessions(sql, id, 'disabled') : 0;
      await this.audit.record({ actorId: actor.id, username: actor.username, action: disabled ? 'user.disable' : 'user.enable', target: id,
        outcome: 'ok', ip, detail: { before: this.auditForm(before), after: this.auditForm(after!), sessionsEnded: ended } }, sql);
      return after!;
    });
    // this process at once; the others through the users/sessions NOTIFY trigger (AuthChangeNotify)
    if (disabled) this.sessions.forgetUser(id);
    return this.view(row);
  }

  /** A new random temporary password (returned once); the user must change it at next login; every session ends; the lock is lifted. */
  async resetPassword(actor: Actor, id: string, ip: string | null): Promise<PasswordReset> {
    this.requireAdmin(actor);
    const password = temporaryPassword();
    const hash = await hashTemporaryPassword(password);
    const username = await this.db.tx(async (sql) => {
      const user = await this.row(sql, id, true);
      await sql.query(`UPDATE users SET password_hash = $2, must_change_password = true, password_changed_at = now(), failed_logins = 0,
        locked_until = NULL WHERE id = $1`, [id, hash]);
      const ended = await this.endSessions(sql, id, 'password_reset');
      await this.audit.record({ actorId: actor.id, username: actor.username, action: 'user.password_reset', target: id, outcome: 'ok', ip,
        detail: { user: user.username, sessionsEnded: ended } }, sql);
      return user.username;
    });
    this.sessions.forgetUser(id);
    return { userId: id, username, temporaryPassword: password };
  }

  /** The clear personal data of a user: needs a reason, and the view is audited (PIPL; 等保 level 3). */
  async personalData(actor: Actor, id: string, reason: string, ip: string | null): Promise<PersonalDataView> {
    this.requireAdmin(actor);
    if (!reason.trim()) throw Problem.invalidField('reason', 'an unmasked view needs a reason');
    return this.db.tx(async (sql) => {
      const row = await this.row(sql, id);
      await this.audit.record({ actorId: actor.id, username: actor.username, action: 'user.personal_data.view', target: id, outcome: 'ok', ip,
        detail: { user: row.username, reason, fields: ['phone', 'idNumber'] } }, sql);
      return {
        id, phone: row.phoneEnc ? this.pii.decrypt('phone', row.phoneEnc) : null,
        idNumber: row.idNumberEnc ? this.pii.decrypt('id_number', row.idNumberEnc) : null,
      };
    });
  }

  decryptPhone(row: AdminUserRow): string | null {
    return row.phoneEnc ? this.pii.decrypt('phone', row.phoneEnc) : null;
  }

  decryptIdNumber(row: AdminUserRow): string | null {
    return row.idNumberEnc ? this.pii.decrypt('id_number', row.idNumberEnc) : null;
  }

  get countyCode(): string {
    return this.config.COUNTY_CODE;
  }

  private async row(sql: Sql, id: string, forUpdate = false): Promise<AdminUserRow> {
    const [row] = await sql.query<AdminUserRow>(`SELECT ${ADMIN_USER_COLUMNS} FROM users WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    if (!row) throw Problem.notFound(`user ${id}`);
    return row;
  }

  private async checkPlacement(sql: Sql, p: Placement): Promise<void> {
    const problem = (await Places.load(sql, this.config.COUNTY_CODE)).problem(p);
    if (problem) throw Problem.invalidField(problem.field, problem.message);
  }

  /** A phone or ID number belongs to one account (the unique blind indexes; checked first for a 422 naming the field). */
  private async checkUnique(sql: Sql, id: string | null, phone: Buffer | null, idNumber: Buffer | null): Promise<void> {
    if (phone && (await sql.query(`SELECT 1 FROM users WHERE phone_index = $1 AND id IS DISTINCT FROM $2`, [phone, id])).length > 0) {
      throw Problem.invalidField('phone', 'is already the phone number of another account');
    }
    if (idNumber && (await sql.query(`SELECT 1 FROM users WHERE id_number_index = $1 AND id IS DISTINCT FROM $2`, [idNumber, id])).length > 0) {
      throw Problem.invalidField('idNumber', 'is already the ID number of another account');
    }
  }

  /**
   * A 浙政钉 account belongs to one user (users_zwdd_account_id_key; checked first for a 409 that says so). The unique
   * index still decides between two concurrent binds: the loser's write violates it and is answered 409 too (ProblemFilter).
   */
  private async checkZwddUnique(sql: Sql, id: string | null, accountId: string | null): Promise<void> {
    if (accountId === null) return;
    const [other] = await sql.query<{ username: string }>(`SELECT username FROM users WHERE zwdd_account_id = $1 AND id IS DISTINCT FROM $2`, [accountId, id]);
    if (other) {
      const message = `浙政钉账号 ${accountId} is already bound to ${other.username}`;
      throw new Problem(409, 'Conflict', `zwddAccountId: ${message}`, [{ field: 'zwddAccountId', message }], 'urn:grid141:problem:zwdd-account-taken');
    }
  }

  /** Revokes the user's live sessions and their refresh tokens (the sessions trigger tells every process). */
  private async endSessions(sql: Sql, userId: string, reason: string): Promise<number> {
    const ended = await sql.query<{ id: string }>(
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE user_id = $1 AND revoked_at IS NULL RETURNING id`, [userId, reason]);
    if (ended.length > 0) {
      await sql.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = ANY($1::uuid[]) AND revoked_at IS NULL`, [ended.map((s) => s.id)]);
    }
    return ended.length;
  }
}
