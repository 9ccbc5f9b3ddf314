import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';
import { REDIS } from '../redis/redis.module.js';

/** Typed queues, one direction: producers here, consumers in apps/worker. */
export enum QueueName { Sla = 'sla' }
export enum SlaJob { Check = 'check' }
export interface SlaJobData { eventId: string; at: number }

/** Deterministic job id: one job per event per mark time, so re-adding is a no-op. */
export const slaJobId = (eventId: string, at: Date | number) => `${eventId}_${typeof at === 'number' ? at : at.getTime()}`;

/**
 * Delayed BullMQ jobs that wake the SLA engine at an event's next mark (黄牌, 红牌, 自动上报).
 * The due times live in PostgreSQL (events.sla_next_at); a job is only a wake-up call. Redis holds the working set:
 * marks within the horizon (SLA_HORIZON_MS) get their job at once; later marks are armed by the sweeper as they
 * come within the horizon, and the sweeper rebuilds any job Redis lost. Scheduling never fails a user's request:
 * errors are logged and left to the sweeper.
 */
@Injectable()
export class SlaTimers implements OnApplicationShutdown {
  private readonly logger = new Logger('SlaTimers');
  readonly queue: Queue<SlaJobData>;
  readonly redis: Redis;
  readonly horizonMs: number;

  constructor(config: AppConfig, @Inject(REDIS) redis: Redis) {
    this.horizonMs = config.SLA_HORIZON_MS;
    this.redis = redis; // the process's shared client (RedisModule closes it); the queue does not own it
    this.queue = new Queue<SlaJobData>(QueueName.Sla, { connection: this.redis, prefix: config.REDIS_PREFIX,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: 1000, attempts: 5, backoff: { type: 'exponential', delay: 500 } } });
  }

  /** Moves an event's wake-up from `previous` to `next` (either may be null). Fire and forget. */
  reschedule(eventId: string, previous: Date | null, next: Date | null): void {
    if (previous?.getTime() === next?.getTime()) return;
    void this.apply(eventId, previous, next).catch((err: Error) => this.logger.warn(`timer for ${eventId} not scheduled (sweeper will repair): ${err.message}`));
  }

  async apply(eventId: string, previous: Date | null, next: Date | null): Promise<void> {
    // a job exists only for a mark that was within the horizon (with a sweep's margin); others cost no Redis call
    const armedBefore = Date.now() + this.horizonMs * 2;
    if (previous && previous.getTime() !== next?.getTime() && previous.getTime() <= armedBefore) {
      await this.queue.remove(slaJobId(eventId, previous));
    }
    if (next && next.getTime() <= Date.now() + this.horizonMs) await this.add([{ eventId, at: next.getTime() }]);
  }

  async add(items: SlaJobData[]): Promise<void> {
    const now = Date.now();
    await this.queue.addBulk(items.map((d) => ({ name: SlaJob.Check, data: d,
      // timestamp + delay = the mark, however long the call takes to reach Redis
      opts: { jobId: slaJobId(d.eventId, d.at), timestamp: now, delay: Math.max(0, d.at - now) } })));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }
}
