import { Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, SlaEngine } from '#core';

/** Every SLA_SWEEP_MS, rebuilds lost or missed timers from the due times stored in PostgreSQL. */
@Injectable()
export class SlaSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SlaSweeper');
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly config: AppConfig, private readonly engine: SlaEngine) {}

  onApplicationBootstrap(): void {
    this.tick();
  }

  private tick(): void {
    if (this.stopped) return;
    this.running = this.engine.sweep().catch((err: Error) => this.logger.error(`sweep failed: ${err.message}`))
      .finally(() => { if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.config.SLA_SWEEP_MS); });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
