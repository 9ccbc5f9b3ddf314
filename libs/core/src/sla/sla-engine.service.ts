import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { slaDecisions } from '#domain';
import { AppConfig } from '../config/app-config.js';
import { DbService } from '../database/db.service.js';

import { EventsRepository } from '../events/events.repository.js';
import { EventsService, slaStateWith } from '../events/events.service.js';
import { SlaService } from './sla.service.js';
import { SlaTimers } from './sla-timers.js';

export interface SweepResult {
  overdue: number;
  rebuilt: number;
  full: boolean;
}

const SWEEP_BATCH = 5000;
/** A pass's token outlives any pass; it only has to vanish with a flush. */
const SWEEP_TOKEN_TTL_MS = 15 * 60_000;

/** Test seams of a sweep pass. */
export interface SweepHooks {
  /** Runs after the jobs were added and before the watermark is written. */
  beforeWatermark?: () => Promise<void>;
}

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
    private readonly sla: SlaService,
  ) {}

  /** Applies whatever is due for one event now; returns how many transitions were applied. */
  async evaluate(eventId: string, now = new Date()): Promise<number> {
    const outcome = await this.db.tx(async (sql) => {
      const row = await this.events.lockForSystem(sql, eventId);
      if (!row) return null;
      const settings = await this.sla.settings(sql);
      const decisions = slaDecisions(slaStateWith(settings, row, row, { stage: row.stage, yellowAt: row.stageYellowAt, dueAt: row.stageDueAt,
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
   *
   * A flush can also land in the middle of a pass, after `armed` was read and before it is written: the jobs added
   * so far are gone, and writing the watermark would hide the loss for good. So each pass first plants a token key of
   * its own under the same prefix, and moves the watermark only if the token is still there (one atomic script). A
   * vanished token means Redis lost its state during the pass: the watermark is left unwritten and the pass starts
   * over as a full rebuild at once.
   */
  async sweep(graceMs = 2000, hooks: SweepHooks = {}): Promise<SweepResult> {
    let total: SweepResult = { overdue: 0, rebuilt: 0, full: false };
    for (let attempt = 0; ; attempt++) {
      const token = `${this.config.REDIS_PREFIX}:sla:sweep:${randomUUID()}`;
      await this.timers.redis.set(token, '1', 'PX', SWEEP_TOKEN_TTL_MS);
      const armed = await this.timers.redis.get(this.armedKey);
      const from = armed ? new Date(Number(armed)) : null;
      const full = from === null || Number.isNaN(from.getTime());
      const to = new Date(Date.now() + this.timers.horizonMs);
      const pass = await this.arm(full ? null : from, to, graceMs);
      total = { overdue: total.overdue + pass.overdue, rebuilt: total.rebuilt + pass.rebuilt, full: total.full || full };
      await hooks.beforeWatermark?.();
      // only ever moves forward (two workers may race; the later horizon wins), and only while our token survives
      const kept = await this.timers.redis.eval(`if redis.call('DEL', KEYS[2]) == 0 then return 0 end
        local v = tonumber(redis.call('GET', KEYS[1]) or '0')
        if tonumber(ARGV[1]) > v then redis.call('SET', KEYS[1], ARGV[1]) end return 1`, 2, this.armedKey, token, String(to.getTime()));
      if (full) this.logger.log(`sweep: Redis had no SLA state; rebuilt ${pass.rebuilt} timers within the horizon`);
      if (kept === 1) return total;
      this.logger.warn('sweep: Redis lost its state during the pass; rebuilding every timer now');
      if (attempt >= 2) return total; // Redis keeps losing state: the next scheduled pass tries again
    }
  }

  /** Adds a job for every mark due by `to`: all of them (full), or those after `from` plus the ones overdue by > grace. */
  private async arm(from: Date | null, to: Date, graceMs: number): Promise<{ overdue: number; rebuilt: number }> {
    const lost = new Date(Date.now() - graceMs);
    let overdue = 0;
    let rebuilt = 0;
    let after: { at: Date; id: string } | null = null;
    for (;;) {
      const params: unknown[] = [to];
      let where = from === null ? 'sla_next_at <= $1' : `(sla_next_at <= $2 OR (sla_next_at > $3 AND sla_next_at <= $1))`;
      if (from !== null) params.push(lost, from);
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
    return { overdue, rebuilt };
  }
}
