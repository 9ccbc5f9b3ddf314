import 'reflect-metadata';
import { STATUS_CODES } from 'node:http';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig } from '#core';
import { AppModule } from './app.module.js';
import { bodyGuard } from './common/body-guard.js';
import { setupOpenApi } from './common/openapi.js';
import { validationPipe } from './common/validation.js';
import { exceptOpen311, open311Http } from './open311/open311.http.js';
import { exceptProvince, provinceHttp } from './province/province.http.js';
import { serveWeb, webDir } from './web/static.js';

/**
 * Requests Node's HTTP parser refuses before Express sees them (a space in the target, a bad header, conflicting
 * Content-Length and Transfer-Encoding, oversized headers) get a problem+json answer too, then the connection closes.
 */
function answerMalformedHttp(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || (err.code === 'ECONNRESET')) { socket.destroy(); return; }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const title = STATUS_CODES[status] ?? 'Bad Request';
    const body = JSON.stringify({ type: 'urn:grid141:problem:invalid-input', title, status, detail: 'malformed HTTP request',
      errors: [{ field: status === 431 ? 'headers' : 'request', message: 'is not a well-formed HTTP/1.1 request' }] });
    socket.end(`HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`
      + `Connection: close\r\n\r\n${body}`);
  });
}

/** Builds the API application (used by main.ts, the e2e tests and the benchmarks). */
export async function createApiApp(options: { logger?: false | ('error' | 'warn' | 'log')[] } = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { logger: options.logger ?? ['error', 'warn', 'log'], bodyParser: false });
  // the Open311 door takes GeoReport's form bodies and answers GeoReport errors: its own guard, the body guard elsewhere
  app.use(...open311Http());
  // provincial pushes are signed form bodies, kept raw for the signature check (apps/api/src/province)
  app.use(...provinceHttp());
  app.use(...exceptOpen311(exceptProvince(bodyGuard())));
  app.setGlobalPrefix('api/v1', { exclude: ['health/live', 'health/ready', 'open311', 'open311/{*path}'] });
  app.useGlobalPipes(validationPipe());
  app.enableShutdownHooks();
  app.set('trust proxy', 'loopback');
  app.set('etag', false); // API responses are not cached by validators; no hashing of every body
  app.disable('x-powered-by');
  setupOpenApi(app); // /docs and /docs-json (apps/api/src/common/openapi.ts)
  // the web workspaces, when built (npm run build:web)
  const config = app.get(AppConfig);
  const web = webDir(config.WEB_DIR);
  if (web) serveWeb(app, web, config.MAP_TILE_URL);
  answerMalformedHttp(app.getHttpServer() as Server);
  return app;
}
