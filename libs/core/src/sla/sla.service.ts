import { Injectable } from '@nestjs/common';
import type { Stage } from '#domain';
import type { Sql } from '../database/db.service.js';

/** Where an event's current SLA stage (受理/签收/处置/核查) stands: the marks the timers fire at. */
export interface StagePlan {
  stage: Stage | null;
  startedAt: Date | null;
  yellowAt: Date | null;
  dueAt: Date | null;
  escalateAt: Date | null;
  /** Set while the clock is stopped (挂起); the remaining time is kept in dueAt − pausedAt. */
  pausedAt: Date | null;
}

export interface SlaSubject {
  categoryCode: string;
  urgency: 'normal' | 'urgent';
  extendedUntil: string | null;
  stage: Stage | null;
  stageStartedAt: Date | null;
  stageDueAt: Date | null;
  stageYellowAt: Date | null;
  stageEscalateAt: Date | null;
  stagePausedAt: Date | null;
}

export type StageChange = 'start' | 'pause' | 'resume' | 'extend';

/** Plans stage deadlines from the SLA rules and the working calendar. */
@Injectable()
export class SlaService {
  async plan(_sql: Sql, _subject: SlaSubject, stage: Stage | null, now: Date, _change: StageChange): Promise<StagePlan> {
    return { stage, startedAt: stage ? now : null, yellowAt: null, dueAt: null, escalateAt: null, pausedAt: null };
  }
}
