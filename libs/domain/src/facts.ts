/**
 * Facts recorded when they happen (考核评价): what a transition adds to an event's evaluation record — the stage it ended
 * (start, due instant, end, on time, working minutes, warning reached) and the quality counters of DOMAIN §3.5 (返工,
 * 错误派遣, 推诿, 退回, 延期, 挂起 and its duration, 作废, resolution level, first rating). Pure: the application writes the
 * result in the transaction of the transition, and figures are computed from these records only, never from today's
 * rules or calendar.
 */
import { elapsedMinutes } from './sla.js';
import type { TimeBasis } from './sla.js';
import { workingMinutesBetween } from './calendar.js';
import type { WorkCalendar } from './calendar.js';
import type { Level, Stage, TransitionResult, Warning, WorkflowAction, WorkflowEvent } from './workflow.js';

/** The stage clock of the event before the transition (the events row's marks). */
export interface StageClock {
  stage: Stage | null;
  basis: TimeBasis | null;
  startedAt: Date | null;
  dueAt: Date | null;
  pausedAt: Date | null;
}

export type StageChangeKind = 'start' | 'pause' | 'resume' | 'extend';

/**
 * An ended stage. `limitMinutes` and `workingMinutes` are gross: the pauses (挂起) of the stage, kept on the event's
 * record as they happen, are subtracted when the row is written.
 */
export interface EndedStage {
  stage: Stage;
  endedBy: string;
  unitCode: string;
  level: Level;
  startedAt: Date;
  dueAt: Date | null;
  endedAt: Date;
  basis: TimeBasis | null;
  grossLimitMinutes: number | null;
  onTime: boolean | null;
  grossWorkingMinutes: number;
  warning: Warning;
}

export interface FactsDelta {
  ended: EndedStage | null;
  /** The stage's clock was stopped from pausedAt to now (恢复): minutes to add to the stage's and the case's pauses. */
  pause: { workingMinutes: number; minutes: number } | null;
  acceptedAt: Date | null;
  dispatchedAt: Date | null;
  /** Units dispatched to by this transition (lead and 协办). */
  dispatchUnits: string[];
  closed: { at: Date; level: Level; unitCode: string | null } | null;
  voidedAt: Date | null;
  mergedAt: Date | null;
  supervisedAt: Date | null;
  rating: { score: number; at: Date } | null;
  rework: number;
  returns: number;
  /** 推诿: a 退回 of an event already returned before. */
  buckPassing: number;
  extensions: number;
  suspends: number;
  escalations: number;
  urges: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * What `result` (the workflow's answer to `action` on `before`) records. `change` is how the stage clock moved
 * (undefined: no stage effect). A stage ends when a new one starts or the clock stops for good; a pause (挂起) or an
 * approved 延期 does not end it.
 */
export function factsOf(cal: WorkCalendar, before: WorkflowEvent, clock: StageClock, action: WorkflowAction,
  result: TransitionResult, change: StageChangeKind | undefined, now: Date): FactsDelta {
  const after = result.event;
  let ended: EndedStage | null = null;
  if (change === 'start' && clock.stage && clock.startedAt) {
    const onTime = clock.dueAt ? now.getTime() <= clock.dueAt.getTime() : null;
    ended = {
      stage: clock.stage,
      endedBy: action.type,
      unitCode: before.ownerUnitCode,
      level: before.level,
      startedAt: clock.startedAt,
      dueAt: clock.dueAt,
      endedAt: now,
      basis: clock.basis,
      grossLimitMinutes: clock.dueAt && clock.basis ? round2(elapsedMinutes(cal, clock.basis, clock.startedAt, clock.dueAt)) : null,
      onTime,
      grossWorkingMinutes: round2(workingMinutesBetween(cal, clock.startedAt, now)),
      // the warning card reached in the stage (it only moves up within a stage); a stage that ended after its due time
      // was red at its end even when the SLA engine had not marked it yet
      warning: onTime === false ? 'red' : before.warning,
    };
  }
  let pause: FactsDelta['pause'] = null;
  if (change === 'resume' && clock.pausedAt) {
    pause = {
      workingMinutes: round2(workingMinutesBetween(cal, clock.pausedAt, now)),
      minutes: round2(Math.max(0, now.getTime() - clock.pausedAt.getTime()) / 60_000),
    };
  }
  const t = action.type;
  const closedNow = after.status === 'closed' && before.status !== 'closed';
  return {
    ended,
    pause,
    acceptedAt: t === 'accept' ? now : null,
    dispatchedAt: t === 'dispatch' ? now : null,
    dispatchUnits: t === 'dispatch' && after.handlerUnitCode ? [after.handlerUnitCode, ...after.supportUnitCodes] : [],
    closed: closedNow ? { at: now, level: after.level, unitCode: before.handlerUnitCode } : null,
    voidedAt: t === 'reject' ? now : null,
    mergedAt: t === 'merge' ? now : null,
    supervisedAt: t === 'supervise' ? now : null,
    rating: t === 'rate' && after.rating !== null ? { score: after.rating, at: now } : null,
    rework: after.reworkCount - before.reworkCount,
    returns: t === 'return' ? 1 : 0,
    buckPassing: t === 'return' && before.returnCount >= 1 ? 1 : 0,
    extensions: t === 'approve_extension' && after.extendedUntil !== before.extendedUntil && after.extendedUntil !== null ? 1 : 0,
    suspends: t === 'suspend' ? 1 : 0,
    escalations: t === 'escalate' ? 1 : 0,
    urges: t === 'urge' ? 1 : 0,
  };
}

/** 满意 / 基本满意 / 不满意 from the 1–5 回访 score (5–4 满意, 3 基本满意, 2–1 不满意; 不满意 may reopen as 重办). */
export type Satisfaction = 'satisfied' | 'fair' | 'dissatisfied';
export function satisfactionOf(score: number): Satisfaction {
  return score >= 4 ? 'satisfied' : score === 3 ? 'fair' : 'dissatisfied';
}

/** A rate as a fraction 0–1, or null when the denominator is empty. */
export function rate(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}
