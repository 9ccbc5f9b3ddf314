import { Injectable } from '@nestjs/common';
import ExcelJS from 'exceljs';
import { v7 as uuidv7 } from 'uuid';
import type { Role } from '#domain';
import { ROSTER_COLUMNS, ROSTER_ROLE_NAMES, ROSTER_ROLES, ROSTER_ZWDD_COLUMN, ZWDD_ACCOUNT_ID } from '#contracts';
import type { FieldProblem, RosterImportResult, RosterRowResult } from '#contracts';
import { AuditService } from '../audit/audit.service.js';
import type { Actor } from '../auth/actor.js';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';
import { Problem } from '../problem/problem.js';
import { PiiCipher } from '../pii/pii-cipher.js';
import { idNumberProblem, maskIdNumber, maskPhone, normalizeIdNumber, normalizePhone, phoneProblem } from '../pii/personal-data.js';
import { countyCentreCode, townshipCentreCode } from '../units/units.repository.js';
import { allocateUsername, hashTemporaryPassword, lockUsernames, Places, temporaryPassword, usernameBase } from './placement.js';
import type { Placement } from './placement.js';
import { ADMIN_USER_COLUMNS, UserAdminService } from './user-admin.service.js';
import type { AdminUserRow } from './user-admin.service.js';

/** Rows a roster may hold (a county has about 3,000 grid workers; this leaves room for all its staff). */
export const ROSTER_MAX_ROWS = 20_000;
const [NAME, PHONE, ID_NUMBER, PLACE, ROLE] = ROSTER_COLUMNS;
const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

interface ParsedRow {
  row: number;
  name: string;
  phone: string;
  idNumber: string;
  place: string;
  role: string;
  /** 浙政钉账号 (optional column; '' when absent or blank: the account's stays as it is). */
  zwdd: string;
  /** Columns holding a number too long for a double (an ID number typed as a number): its digits are lost. */
  lossy: string[];
}

/** A roster row given in memory rather than as a file (the demo seed's): the five columns, as text. */
export interface RosterRow {
  name: string;
  phone: string;
  idNumber: string;
  place: string;
  role: string;
  zwdd?: string;
}

/**
 * What only the demo seed asks of an import (seed/demo-seed.ts; no API route reaches it): each row's account name — the
 * demo's known usernames: an existing account of that name is the row's account, else the new account gets that name —
 * and one password hash for every new account (the demo password, hashed once) with no forced change at first login.
 */
export interface SeedImport {
  /** By row, in the order of the rows. */
  usernames: string[];
  passwordHash: string;
}

/** Who writes an import: the administrator, or the demo seed (no account). */
interface Author {
  id: string | null;
  username: string;
}

/** The audit log's username for what the demo seed writes. */
export const SEED_AUTHOR = 'seed-demo';

/** A valid row, resolved: what the account must be. */
interface Planned extends Placement {
  row: number;
  displayName: string;
  phone: string;
  idNumber: string;
  phoneIndex: Buffer;
  idNumberIndex: Buffer;
  /** null: the row leaves the 浙政钉 account as it is. */
  zwddAccountId: string | null;
  existing: AdminUserRow | null;
}

/** A number cell that cannot be read back exactly (an 18-digit ID number typed as a number). */
const isLossy = (cell: ExcelJS.Cell) => typeof cell.value === 'number' && !Number.isSafeInteger(cell.value);

/** A cell as text (a number as its digits). */
function cellText(cell: ExcelJS.Cell): string {
  const v = cell.value;
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'object' && 'richText' in v) return v.richText.map((r) => r.text).join('').trim();
  if (typeof v === 'object' && 'result' in v && v.result !== undefined) return String(v.result).trim();
  return cell.text.trim();
}

/**
 * Rosters (花名册) from and to xlsx: the columns a county keeps — 姓名, 手机号, 身份证号, 所属网格/单位, 角色, and optionally
 * 浙政钉账号 (the 浙政钉 accountId for 免登; a blank cell leaves the account's as it is). An import
 * checks every row (a dry run only reports), writes nothing unless the whole file is valid, then writes it in one
 * transaction. Rows match existing accounts by ID number, else by phone (blind indexes), so importing the same file
 * again changes nothing. See README "Administration: people and rosters" for the role names and the username scheme.
 */
@Injectable()
export class RosterService {
  constructor(
    private readonly db: DbService,
    private readonly audit: AuditService,
    private readonly users: UserAdminService,
    private readonly pii: PiiCipher,
  ) {}

  /** The rows of the first sheet (header on row 1, columns found by name). 415/422 naming `file` when it is not a roster. */
  async parse(file: Buffer): Promise<ParsedRow[]> {
    const wb = new ExcelJS.Workbook();
    try {
      await wb.xlsx.load(file as unknown as ExcelJS.Buffer);
    } catch {
      throw new Problem(415, 'Unsupported Media Type', 'file: not an xlsx workbook', [{ field: 'file', message: 'is not an xlsx workbook' }],
        'urn:grid141:problem:unsupported-media');
    }
    const sheet = wb.worksheets[0];
    if (!sheet) throw Problem.invalidField('file', 'the workbook has no sheet');
    const header = new Map<string, number>();
    sheet.getRow(1).eachCell((cell, col) => { header.set(cellText(cell), col); });
    const missing = ROSTER_COLUMNS.filter((c) => !header.has(c));
    if (missing.length > 0) throw Problem.invalidField('file', `row 1 must name the columns ${ROSTER_COLUMNS.join(', ')}; missing: ${missing.join(', ')}`);
    if (sheet.rowCount - 1 > ROSTER_MAX_ROWS) throw Problem.invalidField('file', `at most ${ROSTER_MAX_ROWS} rows`);
    const rows: ParsedRow[] = [];
    for (let r = 2; r <= sheet.rowCount; r++) {
      const row = sheet.getRow(r);
      const get = (name: string) => cellText(row.getCell(header.get(name)!));
      const lossy: string[] = ROSTER_COLUMNS.filter((name) => isLossy(row.getCell(header.get(name)!)));
      const zwddCol = header.get(ROSTER_ZWDD_COLUMN);
      const zwdd = zwddCol === undefined ? '' : cellText(row.getCell(zwddCol));
      if (zwddCol !== undefined && isLossy(row.getCell(zwddCol))) lossy.push(ROSTER_ZWDD_COLUMN);
      const parsed = { row: r, name: get(NAME), phone: get(PHONE), idNumber: get(ID_NUMBER), place: get(PLACE), role: get(ROLE), zwdd, lossy };
      if (parsed.name || parsed.phone || parsed.idNumber || parsed.place || parsed.role) rows.push(parsed);
    }
    if (rows.length === 0) throw Problem.invalidField('file', 'the roster has no data rows');
    return rows;
  }

  async import(actor: Actor, file: Buffer, dryRun: boolean, ip: string | null): Promise<RosterImportResult> {
    this.users.requireAdmin(actor);
    const rows = await this.parse(file);
    const result = await this.db.tx((sql) => this.run(sql, actor, rows, dryRun, ip));
    if (!dryRun && !result.valid) {
      await this.audit.record({ actorId: actor.id, username: actor.username, action: 'roster.import', outcome: 'failed', ip,
        detail: { rows: result.rows, invalid: result.invalid } });
      throw this.invalid(result);
    }
    return result;
  }

  /**
   * The demo seed's import (seed/demo-seed.ts): the same checks and the same writes as {@link import}, on rows given in
   * memory, in the caller's transaction, with the demo's usernames and password (see {@link SeedImport}). Throws the
   * import's 422 when a row is invalid, having written nothing.
   */
  async importForSeed(sql: Sql, rows: RosterRow[], seed: SeedImport): Promise<RosterImportResult> {
    if (seed.usernames.length !== rows.length) throw new Error('the seed names the account of every row');
    const parsed = rows.map((r, i): ParsedRow => ({ row: i + 2, ...r, zwdd: r.zwdd ?? '', lossy: [] }));
    const result = await this.run(sql, { id: null, username: SEED_AUTHOR }, parsed, false, null, seed);
    if (!result.valid) throw this.invalid(result);
    return result;
  }

  /** Checks every row and, unless a dry run or a row is invalid, writes them all: in one transaction, under the username lock. */
  private async run(sql: Sql, author: Author, rows: ParsedRow[], dryRun: boolean, ip: string | null, seed?: SeedImport): Promise<RosterImportResult> {
    // checked inside the transaction that writes, under the username lock, so nothing changes between check and write
    await lockUsernames(sql);
    const { results, planned } = await this.check(sql, rows, seed);
    const invalid = results.filter((r) => r.action === 'invalid').length;
    const count = (a: RosterRowResult['action']) => results.filter((r) => r.action === a).length;
    const outcome: RosterImportResult = { dryRun, valid: invalid === 0, written: false, rows: rows.length, created: count('create'),
      updated: count('update'), unchanged: count('unchanged'), invalid, results, credentials: [] };
    if (dryRun || invalid > 0) return outcome;
    const passwords = await this.write(sql, author, ip, planned, results, seed);
    outcome.written = true;
    outcome.credentials = results.filter((r) => passwords.has(r.row)).map((r) => ({ row: r.row, username: r.username!, temporaryPassword: passwords.get(r.row)! }));
    await this.audit.record({ actorId: author.id, username: author.username, action: 'roster.import', outcome: 'ok', ip,
      detail: { rows: outcome.rows, created: outcome.created, updated: outcome.updated, unchanged: outcome.unchanged, ...(seed ? { source: SEED_AUTHOR } : {}) } }, sql);
    return outcome;
  }

  private invalid(result: RosterImportResult): Problem {
    const errors: FieldProblem[] = result.results.flatMap((r) => r.problems.map((p) => ({ field: `row ${r.row}: ${p.field}`, message: p.message })));
    return new Problem(422, 'Unprocessable Content', `${result.invalid} of ${result.rows} rows are invalid: nothing was written (a dry run lists every row)`,
      errors.slice(0, 1000), 'urn:grid141:problem:invalid-roster');
  }

  /** Every row's problems, and what each valid row would do. */
  private async check(sql: Sql, rows: ParsedRow[], seed?: SeedImport): Promise<{ results: RosterRowResult[]; planned: Planned[] }> {
    const places = await Places.load(sql, this.users.countyCode);
    const existing = await sql.query<AdminUserRow>(`SELECT ${ADMIN_USER_COLUMNS} FROM users`);
    const byPhone = new Map(existing.filter((u) => u.phoneIndex).map((u) => [u.phoneIndex!.toString('hex'), u]));
    const byId = new Map(existing.filter((u) => u.idNumberIndex).map((u) => [u.idNumberIndex!.toString('hex'), u]));
    const byName = new Map(existing.map((u) => [u.username, u]));
    const byZwdd = new Map(existing.filter((u) => u.zwddAccountId).map((u) => [u.zwddAccountId!, u]));
    const seenZwdd = new Map<string, number>();
    const taken = new Set(existing.map((u) => u.username));
    const seenPhone = new Map<string, number>();
    const seenId = new Map<string, number>();
    const results: RosterRowResult[] = [];
    const planned: Planned[] = [];
    for (const r of rows) {
      const problems: FieldProblem[] = [];
      const add = (field: string, message: string) => problems.push({ field, message });
      for (const [field, value] of [[NAME, r.name], [PHONE, r.phone], [ID_NUMBER, r.idNumber], [PLACE, r.place], [ROLE, r.role]] as const) {
        if (!value) add(field, 'is missing');
      }
      if (r.name && [...r.name].length > 50) add(NAME, 'is longer than 50 characters');
      const phone = normalizePhone(r.phone);
      const idNumber = normalizeIdNumber(r.idNumber);
      const lost = (column: string) => (r.lossy.includes(column) ? 'is stored as a number and has lost digits: format the column as text' : null);
      const phoneBad = r.phone ? lost(PHONE) ?? phoneProblem(phone) : null;
      const idBad = r.idNumber ? lost(ID_NUMBER) ?? idNumberProblem(idNumber) : null;
      if (phoneBad) add(PHONE, phoneBad);
      const zwddBad = r.zwdd ? (r.lossy.includes(ROSTER_ZWDD_COLUMN) ? lost(ROSTER_ZWDD_COLUMN) : ZWDD_ACCOUNT_ID.test(r.zwdd) ? null
        : 'is not a 浙政钉 accountId (letters, digits and _ . : @ -, at most 64)') : null;
      if (zwddBad) add(ROSTER_ZWDD_COLUMN, zwddBad);
      if (r.zwdd && !zwddBad) {
        const first = seenZwdd.get(r.zwdd);
        if (first !== undefined) add(ROSTER_ZWDD_COLUMN, `duplicate: the same 浙政钉账号 as row ${first}`);
        else seenZwdd.set(r.zwdd, r.row);
      }
      if (idBad) add(ID_NUMBER, idBad);
      const role: Role | undefined = r.role ? (ROSTER_ROLES as Record<string, Role>)[r.role] : undefined;
      if (r.role && !role) add(ROLE, `unknown role ${r.role}: one of ${Object.keys(ROSTER_ROLES).join(', ')}`);
      let placement: Placement | null = null;
      if (role && r.place) {
        placement = this.placementOf(places, role, r.place);
        if (!placement) add(PLACE, `unknown grid or unit code ${r.place}`);
        else {
          const wrong = places.problem(placement);
          if (wrong) { add(PLACE, wrong.message); placement = null; }
        }
      }
      let match: AdminUserRow | null = null;
      let plan: Planned | null = null;
      if (r.phone && !phoneBad) {
        const first = seenPhone.get(phone);
        if (first !== undefined) add(PHONE, `duplicate: the same phone number as row ${first}`);
        else seenPhone.set(phone, r.row);
      }
      if (r.idNumber && !idBad) {
        const first = seenId.get(idNumber);
        if (first !== undefined) add(ID_NUMBER, `duplicate: the same ID number as row ${first}`);
        else seenId.set(idNumber, r.row);
      }
      if (!phoneBad && !idBad && r.phone && r.idNumber) {
        const phoneIndex = this.pii.index('phone', phone);
        const idNumberIndex = this.pii.index('id_number', idNumber);
        const byIdUser = byId.get(idNumberIndex.toString('hex')) ?? null;
        const byPhoneUser = byPhone.get(phoneIndex.toString('hex')) ?? null;
        if (byIdUser && byPhoneUser && byIdUser.id !== byPhoneUser.id) add(PHONE, `duplicate: the phone number of another account (${byPhoneUser.username})`);
        else if (!byIdUser && byPhoneUser?.idNumberIndex) add(PHONE, `duplicate: the phone number of another account (${byPhoneUser.username}) with another ID number`);
        else match = byIdUser ?? byPhoneUser;
        // the seed's known username: that account is the row's (the same ID and phone, or none yet: an account seeded before)
        const named = seed && byName.get(seed.usernames[r.row - 2]!);
        if (named && match && match.id !== named.id) add(ID_NUMBER, `duplicate: the phone or ID number of another account (${match.username})`);
        else if (named) match = named;
        const zwddOwner = r.zwdd ? byZwdd.get(r.zwdd) : undefined;
        if (zwddOwner && zwddOwner.id !== match?.id) add(ROSTER_ZWDD_COLUMN, `duplicate: the 浙政钉账号 of another account (${zwddOwner.username})`);
        if (problems.length === 0 && placement) {
          plan = { ...placement, row: r.row, displayName: r.name, phone, idNumber, phoneIndex, idNumberIndex, zwddAccountId: r.zwdd || null, existing: match };
        }
      }
      // a row without problems has every field, a placement and its indexes: it has a plan
      if (problems.length > 0 || !plan) {
        results.push({ row: r.row, action: 'invalid', username: null, problems });
        continue;
      }
      const name = seed?.usernames[r.row - 2];
      if (!match && name !== undefined && taken.has(name)) {
        results.push({ row: r.row, action: 'invalid', username: null, problems: [{ field: 'username', message: `${name} is named twice` }] });
        continue;
      }
      planned.push(plan);
      if (!match) {
        if (name !== undefined) taken.add(name);
        results.push({ row: r.row, action: 'create', username: name ?? allocateUsername(usernameBase(plan), taken), problems: [] });
      } else {
        const same = match.displayName === plan.displayName && match.role === plan.role && match.unitCode === plan.unitCode
          && match.jurisdictionCode === plan.jurisdictionCode && match.phoneIndex?.equals(plan.phoneIndex) && match.idNumberIndex?.equals(plan.idNumberIndex)
          && (plan.zwddAccountId === null || match.zwddAccountId === plan.zwddAccountId);
        results.push({ row: r.row, action: same ? 'unchanged' : 'update', username: match.username, problems: [] });
      }
    }
    return { results, planned };
  }

  /**
   * 所属网格/单位 → unit and jurisdiction. A unit code places the user in that unit (jurisdiction: its region, or the
   * county for county roles); a region code places grid workers in its grid team, dispatchers in its command room,
   * county operators and leaders in the county centre (leaders given the county code: no unit), the admin nowhere.
   */
  private placementOf(places: Places, role: Role, place: string): Placement | null {
    const unit = places.units.get(place);
    if (unit) {
      const county = role === 'county_operator' || role === 'county_leader' || role === 'admin';
      return { role, unitCode: place, jurisdictionCode: county ? places.county : unit.region };
    }
    if (!places.regions.has(place)) return null;
    switch (role) {
      case 'grid_worker': return { role, unitCode: `${place}-WG`, jurisdictionCode: place };
      case 'township_dispatcher': return { role, unitCode: townshipCentreCode(place), jurisdictionCode: place };
      case 'county_operator': return { role, unitCode: countyCentreCode(places.county), jurisdictionCode: place };
      case 'handler': return { role, unitCode: null, jurisdictionCode: place };
      case 'county_leader':
      case 'admin': return { role, unitCode: null, jurisdictionCode: place };
    }
  }

  /**
   * Creates and updates in the caller's transaction; audits each account (before/after, masked). Returns the new passwords
   * by row (none for the seed: its accounts get the demo password's hash).
   */
  private async write(sql: Sql, actor: Author, ip: string | null, planned: Planned[], results: RosterRowResult[], seed?: SeedImport): Promise<Map<number, string>> {
    const byRow = new Map(results.map((r) => [r.row, r]));
    const creates = planned.filter((p) => byRow.get(p.row)!.action === 'create');
    const updates = planned.filter((p) => byRow.get(p.row)!.action === 'update');
    const passwords = new Map(seed ? [] : creates.map((p) => [p.row, temporaryPassword()]));
    const hashes = new Map<number, string>(seed ? creates.map((p) => [p.row, seed.passwordHash]) : []);
    // argon2 runs on the libuv pool: a few at a time keep it busy without queueing thousands of jobs
    for (let i = 0; !seed && i < creates.length; i += 8) {
      await Promise.all(creates.slice(i, i + 8).map(async (p) => { hashes.set(p.row, await hashTemporaryPassword(passwords.get(p.row)!)); }));
    }
    const hex = (b: Buffer) => b.toString('hex');
    const sealed = (p: Planned) => ({ phoneEnc: hex(this.pii.encrypt('phone', p.phone)), phoneIndex: hex(p.phoneIndex),
      idEnc: hex(this.pii.encrypt('id_number', p.idNumber)), idIndex: hex(p.idNumberIndex) });
    const audits: { action: string; target: string; detail: unknown }[] = [];
    const form = (p: Planned, username: string, disabled: boolean) => ({ username, displayName: p.displayName, role: p.role, unitCode: p.unitCode,
      jurisdictionCode: p.jurisdictionCode, disabled, phone: maskPhone(p.phone), idNumber: maskIdNumber(p.idNumber),
      zwddAccountId: p.zwddAccountId ?? p.existing?.zwddAccountId ?? null });
    if (creates.length > 0) {
      const rows = creates.map((p) => ({ id: uuidv7(), username: byRow.get(p.row)!.username!, name: p.displayName, hash: hashes.get(p.row)!,
        role: p.role, unit: p.unitCode, jur: p.jurisdictionCode, zwdd: p.zwddAccountId, ...sealed(p) }));
      await sql.query(
        `INSERT INTO users (id, username, display_name, password_hash, role, unit_code, jurisdiction_code, must_change_password,
           phone_enc, phone_index, id_number_enc, id_number_index, zwdd_account_id)
         SELECT x.id::uuid, x.username, x.name, x.hash, x.role, x.unit, x.jur, $2, decode(x."phoneEnc", 'hex'), decode(x."phoneIndex", 'hex'),
                decode(x."idEnc", 'hex'), decode(x."idIndex", 'hex'), x.zwdd
           FROM jsonb_to_recordset($1::jsonb) AS x(id text, username text, name text, hash text, role text, unit text, jur text,
                "phoneEnc" text, "phoneIndex" text, "idEnc" text, "idIndex" text, zwdd text)`, [JSON.stringify(rows), !seed]);
      rows.forEach((r, i) => audits.push({ action: 'user.create', target: r.id,
        detail: { source: 'roster', row: creates[i]!.row, before: null, after: form(creates[i]!, r.username, false) } }));
    }
    if (updates.length > 0) {
      const rows = updates.map((p) => ({ id: p.existing!.id, name: p.displayName, role: p.role, unit: p.unitCode, jur: p.jurisdictionCode, zwdd: p.zwddAccountId, ...sealed(p) }));
      await sql.query(
        `UPDATE users u SET display_name = x.name, role = x.role, unit_code = x.unit, jurisdiction_code = x.jur,
           phone_enc = decode(x."phoneEnc", 'hex'), phone_index = decode(x."phoneIndex", 'hex'),
           id_number_enc = decode(x."idEnc", 'hex'), id_number_index = decode(x."idIndex", 'hex'),
           zwdd_account_id = coalesce(x.zwdd, u.zwdd_account_id)
          FROM jsonb_to_recordset($1::jsonb) AS x(id text, name text, role text, unit text, jur text, zwdd text, "phoneEnc" text, "phoneIndex" text, "idEnc" text, "idIndex" text)
         WHERE u.id = x.id::uuid`, [JSON.stringify(rows)]);
      for (const p of updates) {
        audits.push({ action: 'user.update', target: p.existing!.id,
          detail: { source: 'roster', row: p.row, before: this.users.auditForm(p.existing!), after: form(p, p.existing!.username, p.existing!.disabled) } });
      }
    }
    if (audits.length > 0) {
      await sql.query(
        `INSERT INTO audit_log (actor_id, username, action, target, outcome, ip, detail)
         SELECT $1, $2, x.action, x.target, 'ok', $3, x.detail FROM jsonb_to_recordset($4::jsonb) AS x(action text, target text, detail jsonb)`,
        [actor.id, actor.username, ip, JSON.stringify(audits)]);
    }
    return passwords;
  }

  /**
   * The roster as xlsx: the import's five columns and its optional 浙政钉账号 (so an export with clear data imports back
   * unchanged), then 用户名 and 状态. Personal data masked unless `reason` is given (the unmasked export is audited with it); every export is audited.
   */
  async export(actor: Actor, reason: string | null, ip: string | null): Promise<{ mime: string; data: Buffer }> {
    this.users.requireAdmin(actor);
    const rows = await this.db.query<AdminUserRow>(`SELECT ${ADMIN_USER_COLUMNS} FROM users ORDER BY username`);
    const wb = new ExcelJS.Workbook();
    const sheet = wb.addWorksheet('花名册');
    sheet.addRow([...ROSTER_COLUMNS, ROSTER_ZWDD_COLUMN, '用户名', '状态']);
    for (const u of rows) {
      const phone = this.users.decryptPhone(u);
      const id = this.users.decryptIdNumber(u);
      const county = u.role === 'county_operator' || u.role === 'county_leader';
      const place = u.role === 'grid_worker' || u.role === 'township_dispatcher' || u.role === 'admin' || (county && !u.unitCode) ? u.jurisdictionCode : u.unitCode;
      sheet.addRow([u.displayName, phone && (reason ? phone : maskPhone(phone)), id && (reason ? id : maskIdNumber(id)), place,
        ROSTER_ROLE_NAMES[u.role], u.zwddAccountId ?? '', u.username, u.disabled ? '停用' : '启用']);
    }
    // text cells: Excel would turn a phone or an ID number into a number (and an ID number loses digits)
    for (const col of [2, 3, 4, 6]) sheet.getColumn(col).numFmt = '@';
    const data = Buffer.from(await wb.xlsx.writeBuffer());
    await this.audit.record({ actorId: actor.id, username: actor.username, action: 'roster.export', outcome: 'ok', ip,
      detail: { rows: rows.length, personalData: reason ? 'unmasked' : 'masked', ...(reason ? { reason } : {}) } });
    return { mime: XLSX_MIME, data };
  }
}
