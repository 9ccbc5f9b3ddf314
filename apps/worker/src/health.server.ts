import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig, DbService, REDIS } from '#core';

/** The worker's only HTTP: /health/live and /health/ready on WORKER_HEALTH_PORT (0 = off). */
@Injectable()
export class WorkerHealthServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WorkerHealth');
  private server?: Server;

  constructor(private readonly config: AppConfig, private readonly db: DbService, @Inject(REDIS) private readonly redis: Redis) {}

  onApplicationBootstrap(): void {
    if (this.config.WORKER_HEALTH_PORT === 0) return;
    this.server = createServer((req, res) => {
      const reply = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
      if (req.url === '/health/live') return reply(200, { status: 'ok' });
      if (req.url !== '/health/ready') return reply(404, { status: 'not found' });
      Promise.all([this.db.query('SELECT 1'), this.redis.ping()])
        .then(() => reply(200, { status: 'ok' }))
        .catch((err: Error) => reply(503, { status: 'down', detail: err.message }));
    });
    this.server.listen(this.config.WORKER_HEALTH_PORT, () => this.logger.log(`health on :${this.config.WORKER_HEALTH_PORT}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }
}
