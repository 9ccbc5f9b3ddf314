import { Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig, DbService, EventsService } from '#core';
import { DemoGenerator, freshSeed } from './demo-generator.js';

/** Wall-clock period of the generator's steps. */
const TICK_MS = 5_000;

/**
 * Runs the living demo's generator in the worker when DEMO_GENERATOR=on (`npm run demo` sets it; the default is off, so
 * tests and production never generate). An empty county first gets its backlog, replayed during module init so that it
 * is complete before the SLA processor starts (which then finds the overdue ones at the wall clock, after the replayed
 * history); then a step every few seconds on the wall clock. A failed step is logged and the next one runs; shutdown
 * waits for the step in flight.
 */
@Injectable()
export class DemoLoop implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DemoGenerator');
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();
  private generator?: DemoGenerator;

  constructor(private readonly config: AppConfig, private readonly db: DbService, private readonly events: EventsService) {}

  /** Whether the generator runs in this process. */
  get active(): boolean {
    return this.generator !== undefined && !this.stopped;
  }

  async onModuleInit(): Promise<void> {
    if (this.config.DEMO_GENERATOR !== 'on') return;
    const seed = this.config.DEMO_SEED || freshSeed();
    const generator = new DemoGenerator(this.events, this.db, {
      countyCode: this.config.COUNTY_CODE, seed, reportsPerHour: this.config.DEMO_REPORTS_PER_HOUR,
      log: (level, message) => this.logger[level](message),
    });
    const now = new Date();
    try {
      await generator.init(now);
    } catch (err) {
      // a county without grids or demo users: nothing to generate, say so once
      this.logger.error(`demo generator not started: ${(err as Error).message}`);
      return;
    }
    this.generator = generator;
    this.logger.log(`living demo on (seed ${seed}, up to ${this.config.DEMO_REPORTS_PER_HOUR} reports/h in busy hours)`);
    const backlog = await generator.backlog(now, () => this.stopped)
      .catch((err: Error) => { this.logger.error(`demo backlog stopped: ${err.message}`); return null; });
    if (backlog) this.logger.log(`demo backlog: ${backlog.reported.length} reports and ${backlog.acted} actions over the last hours`);
  }

  onApplicationBootstrap(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped || !this.generator) return;
    this.timer = setTimeout(() => this.tick(), TICK_MS);
  }

  private tick(): void {
    if (this.stopped || !this.generator) return;
    this.running = this.generator.step(new Date())
      .catch((err: Error) => this.logger.error(`demo step failed: ${err.message}`))
      .finally(() => this.schedule());
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
