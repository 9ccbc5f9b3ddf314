import { Injectable } from '@nestjs/common';
import type { AdminUnitList, AdminUnitView, PlatformTypeView } from '#contracts';
import { AppConfig } from '../config/app-config.js';
import { AuditService } from '../audit/audit.service.js';
import type { Actor } from '../auth/actor.js';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';
import { Problem } from '../problem/problem.js';
import { bumpReferenceVersion } from '../seed/demo-seed.js';
import type { UnitType } from './unit.entity.js';
import { townshipCentreCode } from './units.repository.js';

/** Unit types an administrator creates and retires; command rooms, the county centre and grid teams follow the regions. */
export const MANAGED_UNIT_TYPE_SET: ReadonlySet<UnitType> = new Set(['county_department', 'township_platform', 'township_station']);

/** Statuses of an event that is still open (it has an owner that must act). */
export const OPEN_EVENT_SQL = `status NOT IN ('closed','rejected','merged')`;

export interface NewUnit {
  type: UnitType;
  name: string;
  /** County department: the county; platform or station: the township. */
  regionCode: string;
  /** township_platform: the platform type (also the code suffix). */
  platformTypeCode?: string | null;
  /** county_department and township_station: the kind (code suffix: GA, ZF, PCS …). */
  departmentKind?: string | null;
}

export interface UnitChanges {
  name?: string;
  /** Only for a township platform: which platform type it is (routing). */
  platformTypeCode?: string;
}

export interface UnitFilter {
  q?: string;
  type?: UnitType;
  region?: string;
  active?: boolean;
  limit: number;
  offset: number;
}

export interface NewPlatformType {
  code: string;
  name: string;
  scheme?: string;
  sort?: number;
}

export interface PlatformTypeChanges {
  name?: string;
  sort?: number;
  active?: boolean;
}

type UnitRow = Omit<AdminUnitView, 'users' | 'openEvents'> & { users: number; openEvents: number };

const UNIT_SELECT = `SELECT u.code, u.name, u.type, u.region_code AS "regionCode", r.name AS "regionName", u.platform_type_code AS "platformTypeCode",
    u.department_kind AS "departmentKind", u.parent_unit_code AS "parentUnitCode", u.active,
    (SELECT count(*)::int FROM users x WHERE x.unit_code = u.code AND NOT x.disabled) AS users,
    (SELECT count(*)::int FROM events e WHERE e.owner_unit_code = u.code AND e.${OPEN_EVENT_SQL}) AS "openEvents"
  FROM units u LEFT JOIN regions r ON r.code = u.region_code`;

const PLATFORM_SELECT = `SELECT p.code, p.name, p.scheme, p.sort, p.active,
    (SELECT count(*)::int FROM categories c WHERE c.platform_type_code = p.code AND c.active) AS categories,
    (SELECT count(*)::int FROM units u WHERE u.platform_type_code = p.code AND u.active AND u.type = 'township_platform') AS units
  FROM platform_types p`;

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
/** What the audit log keeps of a unit. */
const auditForm = (u: UnitRow) => ({ name: u.name, type: u.type, regionCode: u.regionCode, platformTypeCode: u.platformTypeCode,
  departmentKind: u.departmentKind, parentUnitCode: u.parentUnitCode, active: u.active });

/**
 * Units (处置单位) and platform types (四平台) as data, admin only: create, rename and retire county departments,
 * township platforms and stations; define the platform types categories route to. Every change bumps the reference
 * version (routing snapshots and name caches reload in every process) and is audited with before/after.
 */
@Injectable()
export class UnitsAdminService {
  constructor(private readonly db: DbService, private readonly audit: AuditService, private readonly config: AppConfig) {}

  requireAdmin(actor: Actor): void {
    if (actor.role !== 'admin') throw Problem.forbidden('only an administrator may manage units and routing');
  }

  async list(actor: Actor, f: UnitFilter): Promise<AdminUnitList> {
    this.requireAdmin(actor);
    const where = `u.region_code LIKE $1 || '%' AND ($2::text IS NULL OR u.type = $2) AND ($3::boolean IS NULL OR u.active = $3)
      AND ($4::text IS NULL OR u.code ILIKE '%' || $4 || '%' OR u.name ILIKE '%' || $4 || '%')`;
    const params = [f.region ?? this.config.COUNTY_CODE, f.type ?? null, f.active ?? null, f.q === undefined ? null : likeEscape(f.q.trim())];
    const [items, [count]] = await Promise.all([
      this.db.query<UnitRow>(`${UNIT_SELECT} WHERE ${where} ORDER BY u.region_code, u.type, u.code LIMIT $5 OFFSET $6`, [...params, f.limit, f.offset]),
      this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM units u WHERE ${where}`, params),
    ]);
    return { items, total: count!.n };
  }

  async get(actor: Actor, code: string): Promise<AdminUnitView> {
    this.requireAdmin(actor);
    return this.row(this.db, code);
  }

  async create(actor: Actor, input: NewUnit, ip: string | null): Promise<AdminUnitView> {
    this.requireAdmin(actor);
    if (!MANAGED_UNIT_TYPE_SET.has(input.type)) {
      throw Problem.invalidField('type', 'an administrator creates county departments, township platforms and stations (command rooms and grid teams follow the regions)');
    }
    const county = this.config.COUNTY_CODE;
    return this.db.tx(async (sql) => {
      const [region] = await sql.query<{ level: string }>(
        `SELECT level FROM regions WHERE code = $1 AND (valid_to IS NULL OR valid_to > now())`, [input.regionCode]);
      let kind: string;
      let parent: string | null;
      let platform: string | null = null;
      if (input.type === 'county_department') {
        if (input.regionCode !== county) throw Problem.invalidField('regionCode', `a county department belongs to the county ${county}`);
        if (!input.departmentKind) throw Problem.invalidField('departmentKind', 'a county department needs its kind (the code suffix: GA, ZF …)');
        kind = input.departmentKind;
        parent = null;
      } else {
        if (region?.level !== 'township' || !input.regionCode.startsWith(county)) {
          throw Problem.invalidField('regionCode', `a township platform or station belongs to a township of county ${county}`);
        }
        parent = townshipCentreCode(input.regionCode);
        if (input.type === 'township_platform') {
          if (!input.platformTypeCode) throw Problem.invalidField('platformTypeCode', 'a township platform needs its platform type');
          await this.requirePlatformType(sql, input.platformTypeCode);
          platform = input.platformTypeCode;
          kind = input.departmentKind ?? input.platformTypeCode;
        } else {
          if (!input.departmentKind) throw Problem.invalidField('departmentKind', 'a station needs its kind (the code suffix: PCS, SFS …)');
          kind = input.departmentKind;
        }
        if ((await sql.query(`SELECT 1 FROM units WHERE code = $1 AND active`, [parent])).length === 0) parent = null;
      }
      if (input.type !== 'township_platform' && input.platformTypeCode) {
        throw Problem.invalidField('platformTypeCode', 'only a township platform has a platform type');
      }
      const code = `${input.regionCode}-${kind}`;
      const existing = await sql.query<{ active: boolean }>(`SELECT active FROM units WHERE code = $1`, [code]);
      if (existing.length > 0) {
        throw Problem.conflict(`unit ${code} exists${existing[0]!.active ? '' : ' (retired: restore it instead)'}; a code is never reused for another unit`);
      }
      await sql.query(
        `INSERT INTO units (code, name, type, region_code, platform_type_code, department_kind, parent_unit_code) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
        [code, input.name.trim(), input.type, input.regionCode, platform, kind, parent]);
      const after = await this.row(sql, code);
      await bumpReferenceVersion(sql);
      await this.audit.record({ actorId: actor.id, username: actor.username, action: 'unit.create', target: code, outcome: 'ok', ip,
        detail: { after: auditForm(after) } }, sql);
      return after;
    });
  }

  async update(actor: Actor, code: string, changes: UnitChanges, ip: string | null): Promise<AdminUnitView> {
    this.requireAdmin(actor);
    return this.db.tx(async (sql) => {
      const before = await this.row(sql, code, true);
      if (changes.platformTypeCode !== undefined) {
        if (before.type !== 'township_platform') throw Problem.invalidField('platformTypeCode', 'only a township platform has a platform type');
        await this.requirePlatformType(sql, changes.platformTypeCode);
      }
      await sql.query(`UPDATE units SET name = $2, platform_type_code = $3 WHERE code = $1`,
        [code, changes.name?.trim() ?? before.name, changes.platformTypeCode ?? before.platformTypeCode]);
      const after = await this.row(sql, code);
      await bumpReferenceVersion(sql);
      await this.audit.record({ actorId: actor.id, username: actor.username, action: 'unit.update', target: code, outcome: 'ok', ip,
        detail: { before: auditForm(before), after: auditForm(after) } }, sql);
      return after;
    });
  }

  /**
   * Retires (撤销) or restores a unit. A unit that still has enabled accounts or owns open events is not retired (409):
   * move the people and dispatch the events elsewhere first. History keeps the unit (its code is never reused).
   */
  async setActive(actor: Actor, code: string, active: boolean, ip: string | null): Promise<AdminUnitView> {
    this.requireAdmin(actor);
    return this.db.tx(async (sql) => {
      const before = await this.row(sql, code, true);
      if (!MANAGED_UNIT_TYPE_SET.has(before.type)) {
        throw Problem.conflict(`${code} is a ${before.type}: command rooms, the county centre and grid teams follow the regions`);
      }
      if (!active && before.active) {
        if (before.users > 0) throw Problem.conflict(`unit ${code} still has ${before.users} enabled account(s): move or disable them first`);
        if (before.openEvents > 0) throw Problem.conflict(`unit ${code} still owns ${before.openEvents} open event(s): dispatch them elsewhere first`);
      }
      if (active && before.platformTypeCode) await this.requirePlatformType(sql, before.platformTypeCode, 'platformTypeCode');
      await sql.query(`UPDATE units SET active = $2 WHERE code = $1`, [code, active]);
      const after = await this.row(sql, code);
      await bumpReferenceVersion(sql);
      await this.audit.record({ actorId: actor.id, username: actor.username, action: active ? 'unit.restore' : 'unit.retire', target: code,
        outcome: 'ok', ip, detail: { before: auditForm(before), after: auditForm(after) } }, sql);
      return after;
    });
  }

  async listPlatformTypes(actor: Actor): Promise<PlatformTypeView[]> {
    this.requireAdmin(actor);
    return this.db.query<PlatformTypeView>(`${PLATFORM_SELECT} ORDER BY p.sort, p.code`);
  }

  async createPlatformType(actor: Actor, input: NewPlatformType, ip: string | null): Promise<PlatformTypeView> {
    this.requireAdmin(actor);
    return this.db.tx(async (sql) => {
      if ((await sql.query(`SELECT 1 FROM platform_types WHERE code = $1`, [input.code])).length > 0) {
        throw Problem.conflict(`platform type ${input.code} exists`);
      }
      const [scheme] = await sql.query<{ scheme: string; sort: number }>(
        `SELECT (SELECT scheme FROM platform_types ORDER BY sort DESC LIMIT 1) AS scheme, coalesce((SELECT max(sort) FROM platform_types), 0) + 1 AS sort`);
      await sql.query(`INSERT INTO platform_types (code, name, scheme, sort) VALUES ($1, $2, $3, $4)`,
        [input.code, input.name.trim(), input.scheme ?? scheme?.scheme ?? 'local', input.sort ?? scheme?.sort ?? 0]);
      const [after] = await sql.query<PlatformTypeView>(`${PLATFORM_SELECT} WHERE p.code = $1`, [input.code]);
      await bumpReferenceVersion(sql);
      await this.audit.record({ actorId: actor.id, username: actor.username, action: 'platform_type.create', target: input.code, outcome: 'ok', ip,
        detail: { after: { name: after!.name, scheme: after!.scheme, sort: after!.sort, active: after!.active } } }, sql);
      return after!;
    });
  }

  /** Rename, reorder, retire or restore a platform type; one that enabled categories still route to is not retired (409). */
  async updatePlatformType(actor: Actor, code: string, changes: PlatformTypeChanges, ip: string | null): Promise<PlatformTypeView> {
    this.requireAdmin(actor);
    return this.db.tx(async (sql) => {
      const [before] = await sql.query<PlatformTypeView>(`${PLATFORM_SELECT} WHERE p.code = $1 FOR UPDATE OF p`, [code]);
      if (!before) throw Problem.notFound(`platform type ${code}`);
      if (changes.active === false && before.active && before.categories > 0) {
        throw Problem.conflict(`${before.categories} enabled categor${before.categories === 1 ? 'y routes' : 'ies route'} to ${code}: route them elsewhere first`);
      }
      await sql.query(`UPDATE platform_types SET name = $2, sort = $3, active = $4 WHERE code = $1`,
        [code, changes.name?.trim() ?? before.name, changes.sort ?? before.sort, changes.active ?? before.active]);
      const [after] = await sql.query<PlatformTypeView>(`${PLATFORM_SELECT} WHERE p.code = $1`, [code]);
      await bumpReferenceVersion(sql);
      const form = (p: PlatformTypeView) => ({ name: p.name, sort: p.sort, active: p.active });
      await this.audit.record({ actorId: actor.id, username: actor.username, action: 'platform_type.update', target: code, outcome: 'ok', ip,
        detail: { before: form(before), after: form(after!) } }, sql);
      return after!;
    });
  }

  private async requirePlatformType(sql: Sql, code: string, field = 'platformTypeCode'): Promise<void> {
    const [p] = await sql.query<{ active: boolean }>(`SELECT active FROM platform_types WHERE code = $1`, [code]);
    if (!p) throw Problem.invalidField(field, `unknown platform type ${code}`);
    if (!p.active) throw Problem.invalidField(field, `platform type ${code} is retired`);
  }

  private async row(sql: Sql, code: string, forUpdate = false): Promise<UnitRow> {
    if (forUpdate) await sql.query(`SELECT 1 FROM units WHERE code = $1 FOR UPDATE`, [code]);
    const [row] = await sql.query<UnitRow>(`${UNIT_SELECT} WHERE u.code = $1 AND u.region_code LIKE $2 || '%'`, [code, this.config.COUNTY_CODE]);
    if (!row) throw Problem.notFound(`unit ${code}`);
    return row;
  }
}
