import { Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { OutboxRelay } from '#core';

const IDLE_MS = 200;

/** Drains the outbox continuously: again at once while batches come back full, every 200 ms when idle. */
@Injectable()
export class OutboxRelayLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly relay: OutboxRelay) {}

  onApplicationBootstrap(): void {
    this.tick();
  }

  private tick(): void {
    if (this.stopped) return;
    this.running = this.relay.relayBatch()
      .then((n) => (n >= 500 ? 0 : IDLE_MS))
      .catch((err: Error) => { this.logger.warn(`outbox relay: ${err.message}`); return 1000; })
      .then((wait) => { if (!this.stopped) this.timer = setTimeout(() => this.tick(), wait); });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
