import { Injectable } from '@nestjs/common';
import type { AdminCategoryView, RoutingTable } from '#contracts';
import { AppConfig } from '../config/app-config.js';
import { AuditService } from '../audit/audit.service.js';
import type { Actor } from '../auth/actor.js';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';
import { Problem } from '../problem/problem.js';
import { bumpReferenceVersion } from '../seed/demo-seed.js';

export interface CategoryChanges {
  active?: boolean;
  /** The township platform type the category routes to (null: it stays with the township command room). */
  platformTypeCode?: string | null;
  /** The county lead department kind (the unit `<county>-<kind>`); null: none. */
  countyDepartment?: string | null;
  defaultUrgency?: 'normal' | 'urgent';
  /** 上报省平台: report the category's events to the provincial platform with every status change. */
  reportToProvince?: boolean;
}

const CATEGORY_SELECT = `SELECT code, name, major_code AS "majorCode", major_name AS "majorName", platform_type_code AS "platformTypeCode",
  county_department AS "countyDepartment", default_urgency AS "defaultUrgency", is_event AS "isEvent", active, sort,
  report_to_province AS "reportToProvince" FROM categories`;

const auditForm = (c: AdminCategoryView) => ({ active: c.active, platformTypeCode: c.platformTypeCode, countyDepartment: c.countyDepartment,
  defaultUrgency: c.defaultUrgency, reportToProvince: c.reportToProvince });

/**
 * Categories (事件分类) and the routing table, admin only: enable or disable a category, its default township platform
 * type (a report in a township goes to that township's active platform of the type), its county lead department, and
 * whether its events are reported to the provincial platform (上报省平台: from the next change of every event of the
 * category on, open ones included; an event once reported stays reported when the flag is cleared).
 * Every change bumps the reference version and is audited with before/after.
 */
@Injectable()
export class CategoriesAdminService {
  constructor(private readonly db: DbService, private readonly audit: AuditService, private readonly config: AppConfig) {}

  requireAdmin(actor: Actor): void {
    if (actor.role !== 'admin') throw Problem.forbidden('only an administrator may manage categories and routing');
  }

  /** Every category, disabled ones included. */
  async list(actor: Actor): Promise<AdminCategoryView[]> {
    this.requireAdmin(actor);
    return this.db.query<AdminCategoryView>(`${CATEGORY_SELECT} ORDER BY sort, code`);
  }

  async update(actor: Actor, code: string, changes: CategoryChanges, ip: string | null): Promise<AdminCategoryView> {
    this.requireAdmin(actor);
    return this.db.tx(async (sql) => {
      const [before] = await sql.query<AdminCategoryView>(`${CATEGORY_SELECT} WHERE code = $1 FOR UPDATE`, [code]);
      if (!before) throw Problem.notFound(`category ${code}`);
      if (changes.platformTypeCode) {
        const [p] = await sql.query<{ active: boolean }>(`SELECT active FROM platform_types WHERE code = $1`, [changes.platformTypeCode]);
        if (!p?.active) throw Problem.invalidField('platformTypeCode', `${p ? 'retired' : 'unknown'} platform type ${changes.platformTypeCode}`);
      }
      if (changes.countyDepartment) {
        const unit = `${this.config.COUNTY_CODE}-${changes.countyDepartment}`;
        if ((await sql.query(`SELECT 1 FROM units WHERE code = $1 AND type = 'county_department' AND active`, [unit])).length === 0) {
          throw Problem.invalidField('countyDepartment', `no active county department ${unit}`);
        }
      }
      const [after] = await sql.query<AdminCategoryView>(
        `UPDATE categories SET active = $2, platform_type_code = $3, county_department = $4, default_urgency = $5, report_to_province = $6 WHERE code = $1
         RETURNING code, name, major_code AS "majorCode", major_name AS "majorName", platform_type_code AS "platformTypeCode",
           county_department AS "countyDepartment", default_urgency AS "defaultUrgency", is_event AS "isEvent", active, sort,
           report_to_province AS "reportToProvince"`,
        [code, changes.active ?? before.active, changes.platformTypeCode !== undefined ? changes.platformTypeCode : before.platformTypeCode,
          changes.countyDepartment !== undefined ? changes.countyDepartment : before.countyDepartment, changes.defaultUrgency ?? before.defaultUrgency,
          changes.reportToProvince ?? before.reportToProvince]);
      await bumpReferenceVersion(sql);
      await this.audit.record({ actorId: actor.id, username: actor.username, action: 'category.update', target: code, outcome: 'ok', ip,
        detail: { before: auditForm(before), after: auditForm(after!) } }, sql);
      return after!;
    });
  }

  /** The routing table as the report path applies it: each enabled event category, its platform type, and where that platform is missing. */
  async routing(actor: Actor, sql: Sql = this.db): Promise<RoutingTable> {
    this.requireAdmin(actor);
    const county = this.config.COUNTY_CODE;
    const [townships, rows] = await Promise.all([
      sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM regions WHERE parent_code = $1 AND level = 'township' AND (valid_to IS NULL OR valid_to > now())`, [county]),
      sql.query<RoutingTable['rows'][number]>(
        `SELECT c.code AS "categoryCode", c.name AS "categoryName", c.platform_type_code AS "platformTypeCode", p.name AS "platformTypeName",
                c.county_department AS "countyDepartment", d.code AS "countyDepartmentUnit",
                CASE WHEN c.platform_type_code IS NULL THEN ARRAY[]::text[] ELSE ARRAY(
                  SELECT t.code FROM regions t WHERE t.parent_code = $1 AND t.level = 'township' AND (t.valid_to IS NULL OR t.valid_to > now())
                     AND NOT EXISTS (SELECT 1 FROM units u WHERE u.region_code = t.code AND u.type = 'township_platform' AND u.active
                                       AND u.platform_type_code = c.platform_type_code)
                   ORDER BY t.code) END AS "townshipsWithoutPlatform"
           FROM categories c
           LEFT JOIN platform_types p ON p.code = c.platform_type_code
           LEFT JOIN units d ON d.code = $1 || '-' || c.county_department AND d.type = 'county_department' AND d.active
          WHERE c.active AND c.is_event ORDER BY c.sort, c.code`, [county]),
    ]);
    return { townships: townships[0]!.n, rows };
  }
}
