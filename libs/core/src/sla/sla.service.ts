import { Injectable } from '@nestjs/common';
import { addDuration, elapsedMinutes, makeCalendar, remainingMinutes, resumeDue, slaMarks } from '#domain';
import type { CalendarDay, Stage, TimeBasis, WorkCalendar } from '#domain';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';

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

export interface SlaSubject {
  categoryCode: string;
  urgency: 'normal' | 'urgent';
  extendedUntil: string | null;
  stage: Stage | null;
  slaBasis: TimeBasis | null;
  stageStartedAt: Date | null;
  stageDueAt: Date | null;
  stageYellowAt: Date | null;
  stageEscalateAt: Date | null;
  stagePausedAt: Date | null;
}

export type StageChange = 'start' | 'pause' | 'resume' | 'extend';

interface RuleRow {
  basis: TimeBasis;
  accept: string;
  sign: string;
  handle: string;
  verify: string;
  yellowRatio: string;
  graceMinutes: string;
  calendarVersion: string;
}

const EMPTY: StagePlan = { stage: null, basis: null, startedAt: null, yellowAt: null, dueAt: null, escalateAt: null, pausedAt: null };

/**
 * Plans stage deadlines from the SLA rules (per category and urgency, falling back to the county default) and
 * the working calendar (statutory holidays and 调休 from `calendar_days`). Rules are read on every plan, so an
 * admin's edit applies to every stage that starts afterwards; the calendar is cached per settings version.
 */
@Injectable()
export class SlaService {
  private cached: { version: string; calendar: WorkCalendar } | null = null;

  constructor(private readonly db: DbService) {}

  async plan(sql: Sql, subject: SlaSubject, stage: Stage | null, now: Date, change: StageChange): Promise<StagePlan> {
    if (change === 'pause') {
      // the clock stops: keep the marks, remember when it stopped
      return { stage: subject.stage, basis: subject.slaBasis, startedAt: subject.stageStartedAt, yellowAt: subject.stageYellowAt,
        dueAt: subject.stageDueAt, escalateAt: subject.stageEscalateAt, pausedAt: now };
    }
    if (!stage) return EMPTY;
    if (change === 'resume' && subject.stagePausedAt && subject.stage === stage && subject.stageDueAt && subject.slaBasis) {
      const cal = await this.calendar(sql);
      const shift = (mark: Date | null) => (mark ? resumeDue(cal, subject.slaBasis!, subject.stagePausedAt!, mark, now) : null);
      return { stage, basis: subject.slaBasis, startedAt: subject.stageStartedAt, yellowAt: shift(subject.stageYellowAt),
        dueAt: shift(subject.stageDueAt), escalateAt: shift(subject.stageEscalateAt), pausedAt: null };
    }
    const rule = await this.rule(sql, subject.categoryCode, subject.urgency);
    if (!rule) return { ...EMPTY, stage, startedAt: now };
    const cal = await this.calendar(sql, rule.calendarVersion);
    const ratio = Number(rule.yellowRatio);
    const grace = Number(rule.graceMinutes);
    if (change === 'extend' && stage === 'handle' && subject.extendedUntil && subject.stageStartedAt) {
      // an approved 延期 moves the due time; yellow stays at the same share of the (longer) limit
      const startedAt = subject.stageStartedAt;
      const dueAt = new Date(Math.max(Date.parse(subject.extendedUntil), subject.stageDueAt?.getTime() ?? 0));
      const total = elapsedMinutes(cal, rule.basis, startedAt, dueAt);
      return { stage, basis: rule.basis, startedAt, yellowAt: addDuration(cal, rule.basis, startedAt, total * ratio), dueAt,
        escalateAt: new Date(dueAt.getTime() + grace * 60_000), pausedAt: null };
    }
    const marks = slaMarks(cal, { minutes: Number(rule[stage]), basis: rule.basis, yellowRatio: ratio, escalateGraceMinutes: grace }, now);
    return { stage, basis: rule.basis, startedAt: marks.startedAt, yellowAt: marks.yellowAt, dueAt: marks.dueAt, escalateAt: marks.escalateAt, pausedAt: null };
  }

  /** Time left in the current stage, in the rule's basis (working or natural minutes); negative when overdue. */
  async remaining(subject: { slaBasis: TimeBasis | null; stageDueAt: Date | null; stagePausedAt: Date | null }, now = new Date()): Promise<number | null> {
    if (!subject.slaBasis || !subject.stageDueAt) return null;
    const cal = await this.calendar(this.db);
    return remainingMinutes(cal, subject.slaBasis, subject.stageDueAt, subject.stagePausedAt ?? now);
  }

  async calendar(sql: Sql, knownVersion?: string): Promise<WorkCalendar> {
    const version = knownVersion ?? (await sql.query<{ v: string }>(`SELECT version::text AS v FROM settings_versions WHERE name = 'calendar'`))[0]?.v ?? '0';
    if (this.cached?.version === version) return this.cached.calendar;
    const days = await sql.query<CalendarDay>(`SELECT to_char(date, 'YYYY-MM-DD') AS date, kind, name FROM calendar_days`);
    const calendar = makeCalendar(days);
    this.cached = { version, calendar };
    return calendar;
  }

  private async rule(sql: Sql, categoryCode: string, urgency: string): Promise<RuleRow | null> {
    const rows = await sql.query<RuleRow>(
      `SELECT basis, accept_minutes AS accept, sign_minutes AS sign, handle_minutes AS handle, verify_minutes AS verify,
              yellow_ratio AS "yellowRatio", escalate_grace_minutes AS "graceMinutes",
              (SELECT version::text FROM settings_versions WHERE name = 'calendar') AS "calendarVersion"
         FROM sla_rules WHERE urgency = $2 AND (category_code = $1 OR category_code IS NULL)
        ORDER BY category_code NULLS LAST LIMIT 1`, [categoryCode, urgency]);
    return rows[0] ?? null;
  }
}
