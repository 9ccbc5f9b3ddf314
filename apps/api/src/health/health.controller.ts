import { Controller, Get, HttpCode, Inject, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Redis } from 'ioredis';
import { HealthLiveSchema, HealthReadySchema } from '#contracts';
import type { HealthLive, HealthReady } from '#contracts';
import { DbService, Problem, REDIS } from '#core';
import { Public } from '../auth/auth.guard.js';
import { DeclaredInputOnly } from '../common/fields.js';
import { Problems, Returns } from '../common/openapi.js';

@ApiTags('health')
@Public()
@UseGuards(DeclaredInputOnly)
@Controller('health')
export class HealthController {
  constructor(private readonly db: DbService, @Inject(REDIS) private readonly redis: Redis) {}

  @Get('live') @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @Returns(200, HealthLiveSchema, 'Alive')
  live(): HealthLive {
    return { status: 'ok' };
  }

  /** Ready when PostgreSQL (with PostGIS) and Redis answer. */
  @Get('ready')
  @ApiOperation({ summary: 'Readiness: PostgreSQL (with PostGIS) and Redis answer' })
  @Returns(200, HealthReadySchema, 'Ready')
  @Problems([503, 'PostgreSQL or Redis does not answer (detail names which)'])
  async ready(): Promise<HealthReady> {
    const checks = { postgres: '', redis: '' };
    try {
      const [row] = await this.db.query<{ v: string }>(`SELECT postgis_lib_version() AS v`);
      checks.postgres = `ok (postgis ${row?.v})`;
    } catch (e) {
      checks.postgres = `down: ${(e as Error).message}`;
    }
    try {
      checks.redis = (await this.redis.ping()) === 'PONG' ? 'ok' : 'down';
    } catch (e) {
      checks.redis = `down: ${(e as Error).message}`;
    }
    const ok = Object.values(checks).every((c) => c.startsWith('ok'));
    if (!ok) throw new Problem(503, 'Service Unavailable', JSON.stringify(checks));
    return { status: 'ok', checks };
  }
}
