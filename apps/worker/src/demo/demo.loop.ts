import { Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, DbService, EventsService } from '#core';
import { DemoGenerator, freshSeed } from './demo-generator.js';

/** Wall-clock period of the generator's steps. */
const TICK_MS = 5_000;

/**
 * Runs the living demo's generator in the worker when DEMO_GENERATOR=on (`npm run demo` sets it; the default is off, so
 * tests and production never generate): a backlog on an empty county, then a step every few seconds on the wall clock.
 * A failed step is logged and the next one runs; shutdown waits for the step in flight.
 */
@Injectable()
export class DemoLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DemoGenerator');
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();
  private generator?: DemoGenerator;

  constructor(private readonly config: AppConfig, private readonly db: DbService, private readonly events: EventsService) {}

  /** Whether the generator was switched on in this process. */
  get active(): boolean {
    return this.generator !== undefined && !this.stopped;
  }

  onApplicationBootstrap(): void {
    if (this.config.DEMO_GENERATOR !== 'on') return;
    const seed = this.config.DEMO_SEED || freshSeed();
    this.generator = new DemoGenerator(this.events, this.db, {
      countyCode: this.config.COUNTY_CODE, seed, reportsPerHour: this.config.DEMO_REPORTS_PER_HOUR,
      log: (level, message) => this.logger[level](message),
    });
    const generator = this.generator;
    this.running = (async () => {
      const now = new Date();
      await generator.init(now);
      this.logger.log(`living demo on (seed ${seed}, up to ${this.config.DEMO_REPORTS_PER_HOUR} reports/h)`);
      const backlog = await generator.backlog(now, () => this.stopped)
        .catch((err: Error) => { this.logger.error(`demo backlog stopped: ${err.message}`); return null; });
      if (backlog) this.logger.log(`demo backlog: ${backlog.reported.length} reports, ${backlog.acted} actions`);
      this.schedule();
    })().catch((err: Error) => {
      // a county without grids or demo users: nothing to generate, say so once
      this.logger.error(`demo generator not started: ${err.message}`);
      this.generator = undefined;
    });
  }

  private schedule(): void {
    if (this.stopped) return;
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
