import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { bodyGuard } from './common/body-guard.js';
import { setupOpenApi } from './common/openapi.js';
import { validationPipe } from './common/validation.js';

/** Builds the API application (used by main.ts, the e2e tests and the benchmarks). */
export async function createApiApp(options: { logger?: false | ('error' | 'warn' | 'log')[] } = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { logger: options.logger ?? ['error', 'warn', 'log'], bodyParser: false });
  app.use(...bodyGuard());
  app.setGlobalPrefix('api/v1', { exclude: ['health/live', 'health/ready'] });
  app.useGlobalPipes(validationPipe());
  app.enableShutdownHooks();
  app.set('trust proxy', 'loopback');
  app.set('etag', false); // API responses are not cached by validators; no hashing of every body
  app.disable('x-powered-by');
  setupOpenApi(app); // /docs and /docs-json (apps/api/src/common/openapi.ts)
  return app;
}
