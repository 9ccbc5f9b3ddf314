import { Injectable } from '@nestjs/common';
import type { CalendarDayView, SlaRuleView } from '#contracts';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { DbService } from '../database/db.service.js';
import { Problem } from '../problem/problem.js';

export interface SlaRuleInput {
  categoryCode: string | null;
  urgency: 'normal' | 'urgent';
  /** 复杂程度; absent: ordinary (一般). */
  complexity?: 'ordinary' | 'complex';
  basis: 'working' | 'natural';
  acceptMinutes: number;
  signMinutes: number;
  handleMinutes: number;
  verifyMinutes: number;
  yellowRatio?: number;
  escalateGraceMinutes?: number;
  /** 派遣; absent or null: the 受理 limit. */
  dispatchMinutes?: number | null;
  /** 整体时限; absent or null: none. */
  overallMinutes?: number | null;
  /** Red this long → automatic 督办; absent: 7200 (5 days); null: never. */
  superviseAfterMinutes?: number | null;
  maxExtensionDays?: number;
}

export type CalendarDayInput = CalendarDayView;

const RULE_COLUMNS = `id, category_code AS "categoryCode", urgency, complexity, basis, accept_minutes::float8 AS "acceptMinutes",
  sign_minutes::float8 AS "signMinutes", handle_minutes::float8 AS "handleMinutes", verify_minutes::float8 AS "verifyMinutes",
  yellow_ratio::float8 AS "yellowRatio", escalate_grace_minutes::float8 AS "escalateGraceMinutes",
  dispatch_minutes::float8 AS "dispatchMinutes", overall_minutes::float8 AS "overallMinutes",
  supervise_after_minutes::float8 AS "superviseAfterMinutes", max_extension_days AS "maxExtensionDays", updated_at AS "updatedAt"`;

/** A rule as selected with RULE_COLUMNS, mapped to the API shape. */
const toRuleView = (row: Omit<SlaRuleView, 'updatedAt'> & { updatedAt: Date }): SlaRuleView => ({ ...row, updatedAt: row.updatedAt.toISOString() });
type RuleRow = Parameters<typeof toRuleView>[0];

/**
 * Admin edits of time limits (per category, urgency and complexity tier) and of the holiday calendar. Changes apply to every stage
 * that starts afterwards; running stages keep the deadlines they were given. Each edit is audited.
 */
@Injectable()
export class SlaAdminService {
  constructor(private readonly db: DbService, private readonly audit: AuditService) {}

  private requireAdmin(actor: Actor): void {
    if (actor.role !== 'admin') throw Problem.forbidden('only an admin may change time limits and the calendar');
  }

  async listRules(actor: Actor): Promise<SlaRuleView[]> {
    this.requireAdmin(actor);
    return (await this.db.query<RuleRow>(`SELECT ${RULE_COLUMNS} FROM sla_rules ORDER BY category_code NULLS FIRST, urgency, complexity DESC`)).map(toRuleView);
  }

  async upsertRule(actor: Actor, input: SlaRuleInput): Promise<SlaRuleView> {
    this.requireAdmin(actor);
    return this.db.tx(async (sql) => {
      if (input.categoryCode !== null && (await sql.query(`SELECT 1 FROM categories WHERE code = $1`, [input.categoryCode])).length === 0) {
        throw Problem.invalidField('categoryCode', `unknown category ${input.categoryCode}`);
      }
      const params = [input.categoryCode, input.urgency, input.basis, input.acceptMinutes, input.signMinutes, input.handleMinutes,
        input.verifyMinutes, input.yellowRatio ?? 0.8, input.escalateGraceMinutes ?? 0, input.dispatchMinutes ?? null,
        input.overallMinutes ?? null, input.superviseAfterMinutes === undefined ? 7200 : input.superviseAfterMinutes, input.maxExtensionDays ?? 20,
        input.complexity ?? 'ordinary'];
      const updated = await sql.query<RuleRow>(
        `UPDATE sla_rules SET basis = $3, accept_minutes = $4, sign_minutes = $5, handle_minutes = $6, verify_minutes = $7,
            yellow_ratio = $8, escalate_grace_minutes = $9, dispatch_minutes = $10, overall_minutes = $11, supervise_after_minutes = $12,
            max_extension_days = $13, updated_at = now()
          WHERE coalesce(category_code, '*') = coalesce($1::varchar, '*') AND urgency = $2 AND complexity = $14 RETURNING ${RULE_COLUMNS}`, params);
      const row = updated[0] ?? (await sql.query<RuleRow>(
        `INSERT INTO sla_rules (category_code, urgency, basis, accept_minutes, sign_minutes, handle_minutes, verify_minutes, yellow_ratio,
            escalate_grace_minutes, dispatch_minutes, overall_minutes, supervise_after_minutes, max_extension_days, complexity)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING ${RULE_COLUMNS}`, params))[0];
      await sql.query(`UPDATE settings_versions SET version = version + 1 WHERE name = 'sla_rules'`);
      await this.audit.record({ actorId: actor.id, username: actor.username, action: 'sla_rule.upsert', outcome: 'ok', detail: { ...input } }, sql);
      return toRuleView(row!);
    });
  }

  async listCalendar(actor: Actor, year?: number): Promise<CalendarDayInput[]> {
    this.requireAdmin(actor);
    return this.calendarDays(year);
  }

  /**
   * The calendar's days (holidays and 调休 working days) for anyone signed in: the consoles count working time between
   * two answers of the API by it (a countdown that ticks on a holiday would be wrong until the next answer).
   */
  calendarDays(year?: number): Promise<CalendarDayInput[]> {
    return this.db.query<CalendarDayInput>(
      `SELECT to_char(date, 'YYYY-MM-DD') AS date, kind, name FROM calendar_days
        WHERE $1::int IS NULL OR extract(year FROM date) = $1 ORDER BY date`, [year ?? null]);
  }

  async putCalendarDay(actor: Actor, day: CalendarDayInput): Promise<CalendarDayInput> {
    this.requireAdmin(actor);
    return this.db.tx(async (sql) => {
      await sql.query(`INSERT INTO calendar_days (date, kind, name) VALUES ($1, $2, $3)
        ON CONFLICT (date) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name`, [day.date, day.kind, day.name]);
      await sql.query(`UPDATE settings_versions SET version = version + 1 WHERE name = 'calendar'`);
      await this.audit.record({ actorId: actor.id, username: actor.username, action: 'calendar.put', outcome: 'ok', detail: { ...day } }, sql);
      return day;
    });
  }

  async deleteCalendarDay(actor: Actor, date: string): Promise<void> {
    this.requireAdmin(actor);
    await this.db.tx(async (sql) => {
      const removed = await sql.exec(`DELETE FROM calendar_days WHERE date = $1`, [date]);
      if (removed.rowCount === 0) throw Problem.notFound(`calendar day ${date}`);
      await sql.query(`UPDATE settings_versions SET version = version + 1 WHERE name = 'calendar'`);
      await this.audit.record({ actorId: actor.id, username: actor.username, action: 'calendar.delete', outcome: 'ok', detail: { date } }, sql);
    });
  }
}
