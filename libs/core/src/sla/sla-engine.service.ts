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
   * Arms and repairs the timers from PostgreSQL, the only source of truth. Redis keeps `armed` = the instant up to
   * which every mark has been given its job. Each pass arms the marks that came within the horizon since then, and
   * re-arms any mark already overdue by more than a grace (its job was lost, or never made it to Redis). When Redis
   * lost its state (flushed or restarted: `armed` is gone) the pass rebuilds the whole working set. Job ids are
   * deterministic, so re-adding an existing job changes nothing, and two workers sweeping at once do no harm.
   */
  async sweep(graceMs = 2000): Promise<SweepResult> {
    const armed = await this.timers.redis.get(this.armedKey);
    const from = armed ? new Date(Number(armed)) : null;
    const full = from === null || Number.isNaN(from.getTime());
    const to = new Date(Date.now() + this.timers.horizonMs);
    const lost = new Date(Date.now() - graceMs);
    let overdue = 0;
    let rebuilt = 0;
    let after: { at: Date; id: string } | null = null;
    for (;;) {
      const params: unknown[] = [to];
      let where = full ? 'sla_next_at <= $1' : `(sla_next_at <= $2 OR (sla_next_at > $3 AND sla_next_at <= $1))`;
      if (!full) params.push(lost, from);
      if (after) { params.push(after.at, after.id); where += ` AND (sla_next_at, id) > ($${params.length - 1}, $${params.length})`; }
      const rows = await this.db.query<{ id: string; at: Date }>(
        `SELECT id, sla_next_at AS at FROM events WHERE sla_next_at IS NOT NULL AND ${where} ORDER BY sla_next_at, id LIMIT ${SWEEP_BATCH}`, params);
      if (rows.length === 0) break;
      const now = Date.now();
      overdue += rows.filter((r) => r.at.getTime() <= now).length;
      rebuilt += rows.length;
      await this.timers.add(rows.map((r) => ({ eventId: r.id, at: r.at.getTime() })));
      const last = rows[rows.length - 1]!;
      after = { at: last.at, id: last.id };
      if (rows.length < SWEEP_BATCH) break;
    }
    // only ever moves forward (two workers may race; the later horizon wins)
    await this.timers.redis.eval(`local v = tonumber(redis.call('GET', KEYS[1]) or '0')
      if tonumber(ARGV[1]) > v then redis.call('SET', KEYS[1], ARGV[1]) end return 1`, 1, this.armedKey, String(to.getTime()));
    if (full) this.logger.log(`sweep: Redis had no SLA state; rebuilt ${rebuilt} timers within the horizon`);
    return { overdue, rebuilt, full };
  }
}
