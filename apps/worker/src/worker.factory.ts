import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { WorkerModule } from './worker.module.js';

/** Builds and starts a worker (used by main.ts, the e2e tests and the benchmarks). */
export async function createWorker(options: { logger?: false | ('error' | 'warn' | 'log')[] } = {}): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: options.logger ?? ['error', 'warn', 'log'] });
  app.enableShutdownHooks();
  await app.init();
  return app;
}
