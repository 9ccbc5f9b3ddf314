import { Injectable, Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { OutboxRelay } from '#core';
import { LiveEmitter } from '../live/live-emitter.js';

const IDLE_MS = 100;
const BATCH = 500;

/**
 * Drains the outbox continuously: again at once while batches come back full, every 100 ms when idle (a change reaches
 * screens within about that plus the stream hop). Stops before the live emitter closes.
 */
@Injectable()
export class OutboxRelayLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly relay: OutboxRelay, private readonly live: LiveEmitter) {}

  onApplicationBootstrap(): void {
    this.tick();
  }

  private tick(): void {
    if (this.stopped) return;
    this.running = this.relay.relayBatch(BATCH, this.live)
      .then((n) => (n >= BATCH ? 0 : IDLE_MS))
      .catch((err: Error) => { this.logger.warn(`outbox relay: ${err.message}`); return 1000; })
      .then((wait) => { if (!this.stopped) this.timer = setTimeout(() => this.tick(), wait); });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
