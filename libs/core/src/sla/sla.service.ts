import { Injectable } from '@nestjs/common';
import { addDuration, elapsedMinutes, makeCalendar, remainingMinutes, resumeDue, slaMarks } from '#domain';
import type { CalendarDay, Complexity, Stage, TimeBasis, WorkCalendar } from '#domain';
import type { Sql } from '../database/db.service.js';
import type { EventEntity } from '../events/event.entity.js';
import type { SlaRuleEntity } from './sla-rule.entity.js';

/** Where an event's current SLA stage (受理/签收/处置/核查) stands: the marks the timers fire at. */
export interface StagePlan {
  stage: Stage | null;
  basis: TimeBasis | null;
  startedAt: Date | null;
  yellowAt: Date | null;
  dueAt: Date | null;
  escalateAt: Date | null;
  /** Set while the clock is stopped (挂起); the marks are shifted by the pause on resume. */
  pausedAt: Date | null;
}

/** The event columns the planner needs (extendedUntil as the workflow carries it: ISO text). */
export type SlaSubject = Pick<EventEntity, 'categoryCode' | 'urgency' | 'complexity' | 'stage' | 'slaBasis' | 'stageStartedAt' | 'stageDueAt'
  | 'stageYellowAt' | 'stageEscalateAt' | 'stagePausedAt'> & { extendedUntil: string | null };

export type StageChange = 'start' | 'pause' | 'resume' | 'extend';

/** The subject of an event that has no stage yet (a new report). */
export const newSlaSubject = (categoryCode: string, urgency: 'normal' | 'urgent', complexity: Complexity = 'ordinary'): SlaSubject => ({ categoryCode, urgency, complexity,
  extendedUntil: null, stage: null, slaBasis: null, stageStartedAt: null, stageDueAt: null, stageYellowAt: null, stageEscalateAt: null,
  stagePausedAt: null });

/** A rule as the planner reads it: the scope columns of the entity, the minutes cast to numbers (numeric → float8). */
export type RuleRow = Pick<SlaRuleEntity, 'categoryCode' | 'urgency' | 'complexity' | 'basis' | 'maxExtensionDays'> & {
  accept: number;
  /** 派遣 (the 受理 limit when the rule sets none). */
  dispatch: number;
  sign: number;
  handle: number;
  verify: number;
  yellowRatio: number;
  graceMinutes: number;
  /** 整体时限, minutes of basis; null: none. */
  overall: number | null;
  /** Natural minutes red before the automatic 督办; null: never. */
  superviseAfter: number | null;
};

/** What picks a rule: the event's category, urgency and complexity tier (absent: 一般). */
export type RuleSubject = { categoryCode: string; urgency: string; complexity?: Complexity };

/**
 * The rule of a category, urgency and tier, else the county default of that urgency and tier; a tier with neither
 * (复杂 without rules of its own) takes the 一般 rule the same way; null when nothing applies.
 */
export function ruleFor(settings: SlaSettings, subject: RuleSubject): RuleRow | null {
  const pick = (tier: string) => settings.rules.find((r) => r.urgency === subject.urgency && r.complexity === tier && r.categoryCode === subject.categoryCode)
    ?? settings.rules.find((r) => r.urgency === subject.urgency && r.complexity === tier && r.categoryCode === null) ?? null;
  const tier = subject.complexity ?? 'ordinary';
  return pick(tier) ?? (tier === 'ordinary' ? null : pick('ordinary'));
}

/** 整体时限: the case's overall due time from the report under the rule in force (null: the rule sets none). */
export function overallDue(settings: SlaSettings, subject: RuleSubject, reportedAt: Date): Date | null {
  const rule = ruleFor(settings, subject);
  if (!rule || rule.overall === null) return null;
  return addDuration(settings.calendar, rule.basis, reportedAt, rule.overall);
}

/** The instant a stage red since dueAt is put under 督办 automatically (null: the rule never does). */
export function superviseAt(settings: SlaSettings, subject: RuleSubject, dueAt: Date | null): Date | null {
  const rule = ruleFor(settings, subject);
  if (!rule || rule.superviseAfter === null || !dueAt) return null;
  return new Date(dueAt.getTime() + Math.round(rule.superviseAfter * 60_000));
}

const EMPTY: StagePlan = { stage: null, basis: null, startedAt: null, yellowAt: null, dueAt: null, escalateAt: null, pausedAt: null };

/** Rules and calendar as cached by this process, tagged with the settings versions they were read at. */
export interface SlaSettings {
  calendar: WorkCalendar;
  rules: RuleRow[];
}

export interface SettingsVersions {
  calendar: string;
  rules: string;
}

/** SQL expression giving both settings versions as columns "calendarVersion" and "rulesVersion". */
export const SETTINGS_VERSIONS_SQL = `(SELECT version::text FROM settings_versions WHERE name = 'calendar') AS "calendarVersion",
  (SELECT version::text FROM settings_versions WHERE name = 'sla_rules') AS "rulesVersion",
  (SELECT version::text FROM settings_versions WHERE name = 'reference') AS "referenceVersion"`;

/**
 * Plans stage deadlines from the SLA rules (per category, urgency and tier, falling back to the county default) and
 * the working calendar (statutory holidays and 调休 from `calendar_days`). Both are cached per settings version,
 * which an admin edit bumps in its own transaction, so an edit applies to every stage that starts afterwards,
 * in every process, with no stale window.
 */
@Injectable()
export class SlaService {
  private calendarCache: { version: string; calendar: WorkCalendar } | null = null;
  private rulesCache: { version: string; rules: RuleRow[] } | null = null;

  /** The versions the cached settings were read at (null before the first read). */
  cachedVersions(): SettingsVersions | null {
    return this.calendarCache && this.rulesCache ? { calendar: this.calendarCache.version, rules: this.rulesCache.version } : null;
  }

  /** The cached settings as they are (for a path that has the database confirm the versions in its own statement). */
  cachedSettings(): SlaSettings | null {
    return this.calendarCache && this.rulesCache ? { calendar: this.calendarCache.calendar, rules: this.rulesCache.rules } : null;
  }

  async settings(sql: Sql, known?: SettingsVersions): Promise<SlaSettings> {
    let versions = known;
    if (!versions) {
      const [row] = await sql.query<{ calendarVersion: string; rulesVersion: string }>(`SELECT ${SETTINGS_VERSIONS_SQL}`);
      versions = { calendar: row?.calendarVersion ?? '0', rules: row?.rulesVersion ?? '0' };
    }
    if (this.calendarCache?.version !== versions.calendar) {
      const days = await sql.query<CalendarDay>(`SELECT to_char(date, 'YYYY-MM-DD') AS date, kind, name FROM calendar_days`);
      this.calendarCache = { version: versions.calendar, calendar: makeCalendar(days) };
    }
    if (this.rulesCache?.version !== versions.rules) {
      const rules = await sql.query<RuleRow>(
        `SELECT category_code AS "categoryCode", urgency, complexity, basis, accept_minutes::float8 AS accept,
                coalesce(dispatch_minutes, accept_minutes)::float8 AS dispatch, sign_minutes::float8 AS sign,
                handle_minutes::float8 AS handle, verify_minutes::float8 AS verify, yellow_ratio::float8 AS "yellowRatio",
                escalate_grace_minutes::float8 AS "graceMinutes", overall_minutes::float8 AS overall,
                supervise_after_minutes::float8 AS "superviseAfter", max_extension_days AS "maxExtensionDays" FROM sla_rules`);
      this.rulesCache = { version: versions.rules, rules };
    }
    return { calendar: this.calendarCache.calendar, rules: this.rulesCache.rules };
  }

  async plan(sql: Sql, subject: SlaSubject, stage: Stage | null, now: Date, change: StageChange): Promise<StagePlan> {
    return this.planWith(await this.settings(sql), subject, stage, now, change);
  }

  planWith(settings: SlaSettings, subject: SlaSubject, stage: Stage | null, now: Date, change: StageChange): StagePlan {
    if (change === 'pause') {
      // the clock stops: keep the marks, remember when it stopped
      return { stage: subject.stage, basis: subject.slaBasis, startedAt: subject.stageStartedAt, yellowAt: subject.stageYellowAt,
        dueAt: subject.stageDueAt, escalateAt: subject.stageEscalateAt, pausedAt: now };
    }
    if (!stage) return EMPTY;
    const cal = settings.calendar;
    if (change === 'resume' && subject.stagePausedAt && subject.stage === stage && subject.stageDueAt && subject.slaBasis) {
      const shift = (mark: Date | null) => (mark ? resumeDue(cal, subject.slaBasis!, subject.stagePausedAt!, mark, now) : null);
      return { stage, basis: subject.slaBasis, startedAt: subject.stageStartedAt, yellowAt: shift(subject.stageYellowAt),
        dueAt: shift(subject.stageDueAt), escalateAt: shift(subject.stageEscalateAt), pausedAt: null };
    }
    const rule = ruleFor(settings, subject);
    if (!rule) return { ...EMPTY, stage, startedAt: now };
    const ratio = rule.yellowRatio;
    const grace = rule.graceMinutes;
    if (change === 'extend' && stage === 'handle' && subject.extendedUntil && subject.stageStartedAt) {
      // an approved 延期 moves the due time; yellow stays at the same share of the (longer) limit
      const startedAt = subject.stageStartedAt;
      const dueAt = new Date(Math.max(Date.parse(subject.extendedUntil), subject.stageDueAt?.getTime() ?? 0));
      const total = elapsedMinutes(cal, rule.basis, startedAt, dueAt);
      return { stage, basis: rule.basis, startedAt, yellowAt: addDuration(cal, rule.basis, startedAt, total * ratio), dueAt,
        escalateAt: new Date(dueAt.getTime() + grace * 60_000), pausedAt: null };
    }
    const marks = slaMarks(cal, { minutes: rule[stage], basis: rule.basis, yellowRatio: ratio, escalateGraceMinutes: grace }, now);
    return { stage, basis: rule.basis, startedAt: marks.startedAt, yellowAt: marks.yellowAt, dueAt: marks.dueAt, escalateAt: marks.escalateAt, pausedAt: null };
  }

  /** Time left in the current stage, in the rule's basis (working or natural minutes); negative when overdue. */
  remainingWith(settings: SlaSettings, subject: { slaBasis: TimeBasis | null; stageDueAt: Date | null; stagePausedAt: Date | null }, now: Date): number | null {
    if (!subject.slaBasis || !subject.stageDueAt) return null;
    const minutes = remainingMinutes(settings.calendar, subject.slaBasis, subject.stageDueAt, subject.stagePausedAt ?? now);
    return Math.round(minutes * 100) / 100;
  }
}
