import { Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { AppConfig, QueueName, SlaEngine } from '#core';
import type { SlaJobData } from '#core';

/** Thin BullMQ consumer of SLA wake-ups: each job asks the engine to apply what is due for one event. */
@Injectable()
export class SlaProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SlaProcessor');
  private worker?: Worker<SlaJobData>;
  private connection?: Redis;

  constructor(private readonly config: AppConfig, private readonly engine: SlaEngine) {}

  onApplicationBootstrap(): void {
    this.connection = new Redis(this.config.REDIS_URL, { maxRetriesPerRequest: null });
    this.worker = new Worker<SlaJobData>(QueueName.Sla, (job) => this.process(job), {
      connection: this.connection, prefix: this.config.REDIS_PREFIX, concurrency: 16, stalledInterval: 5000,
    });
    this.worker.on('failed', (job, err) => this.logger.warn(`SLA job ${job?.id} failed: ${err.message}`));
  }

  /** A job may fire a little before its mark (clock skew): it is evaluated as of the mark it was set for. */
  async process(job: Job<SlaJobData>): Promise<number> {
    return this.engine.evaluate(job.data.eventId, new Date(Math.max(Date.now(), job.data.at)));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    await this.connection?.quit().catch(() => this.connection?.disconnect());
  }
}
