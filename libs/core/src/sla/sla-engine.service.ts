import { Injectable, Logger } from '@nestjs/common';
import { slaDecisions } from '#domain';
import { AppConfig } from '../config/app-config.js';
import { DbService } from '../database/db.service.js';
import { toSlaState } from '../events/event.model.js';
import { EventsRepository } from '../events/events.repository.js';
import { EventsService } from '../events/events.service.js';
import { SlaTimers } from './sla-timers.js';

export interface SweepResult {
  overdue: number;
  rebuilt: number;
  full: boolean;
}

const SWEEP_BATCH = 5000;

/**
 * The SLA engine: wakes at an event's next mark, decides (pure policy) and applies 黄牌/红牌, the automatic 催办
 * and 自动上报 through the workflow door as the system actor. The row is locked while deciding, so two workers
 * (or a timer and the sweeper) can never apply the same step twice: the second sees the new state and does nothing.
 */
@Injectable()
export class SlaEngine {
  private readonly logger = new Logger('SlaEngine');

  constructor(
    private readonly config: AppConfig,
    private readonly db: DbService,
    private readonly events: EventsRepository,
    private readonly service: EventsService,
    private readonly timers: SlaTimers,
  ) {}

  /** Applies whatever is due for one event now; returns how many transitions were applied. */
  async evaluate(eventId: string, now = new Date()): Promise<number> {
    const outcome = await this.db.tx(async (sql) => {
      const row = await this.events.lockForSystem(sql, eventId);
      if (!row) return null;
      const decisions = slaDecisions(toSlaState(row, { stage: row.stage, yellowAt: row.stageYellowAt, dueAt: row.stageDueAt,
        escalateAt: row.stageEscalateAt, pausedAt: row.stagePausedAt }), now);
      if (decisions.length === 0) return { applied: 0, next: row.slaNextAt };
      const applied = await this.service.applySystem(sql, row, decisions, now);
      return { applied: decisions.length, next: applied?.nextMark ?? null };
    });
    // the job that woke us is removed when it completes; schedule the next wake-up (idempotent job id)
    if (outcome?.next) await this.timers.add([{ eventId, at: outcome.next.getTime() }]);
    return outcome?.applied ?? 0;
  }

  private get armedKey(): string {
    return `${this.config.REDIS_PREFIX}:sla:armed`;
  }

  /**
   * Arms and repairs the timers from PostgreSQL, the only source of truth: every event whose next mark lies within
   * the horizon (or has passed) gets its job. After Redis lost its state (flushed or restarted: the `armed` marker
   * is gone) the same pass rebuilds the whole working set. Job ids are deterministic, so re-adding an existing job
   * changes nothing, and two workers sweeping at once do no harm.
   */
  async sweep(): Promise<SweepResult> {
    const full = (await this.timers.redis.exists(this.armedKey)) === 0;
    let overdue = 0;
    let rebuilt = 0;
    let after: { at: Date; id: string } | null = null;
    const horizon = new Date(Date.now() + this.timers.horizonMs);
    for (;;) {
      const params: unknown[] = [horizon];
      let where = 'sla_next_at <= $1';
      if (after) { params.push(after.at, after.id); where += ` AND (sla_next_at, id) > ($2, $3)`; }
      const rows = await this.db.query<{ id: string; at: Date }>(
        `SELECT id, sla_next_at AS at FROM events WHERE ${where} ORDER BY sla_next_at, id LIMIT ${SWEEP_BATCH}`, params);
      if (rows.length === 0) break;
      const now = Date.now();
      overdue += rows.filter((r) => r.at.getTime() <= now).length;
      rebuilt += rows.length;
      await this.timers.add(rows.map((r) => ({ eventId: r.id, at: r.at.getTime() })));
      const last = rows[rows.length - 1]!;
      after = { at: last.at, id: last.id };
      if (rows.length < SWEEP_BATCH) break;
    }
    if (full) await this.timers.redis.set(this.armedKey, new Date().toISOString());
    if (full) this.logger.log(`sweep: Redis had no SLA state; rebuilt ${rebuilt} timers within the horizon`);
    return { overdue, rebuilt, full };
  }
}
