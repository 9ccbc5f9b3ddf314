import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { WebConfigSchema } from '#contracts';
import type { WebConfig } from '#contracts';
import { AppConfig, DbService } from '#core';
import { Public } from '../auth/auth.guard.js';
import { DeclaredInputOnly } from '../common/fields.js';
import { Returns } from '../common/openapi.js';

@ApiTags('web')
@Public()
@UseGuards(DeclaredInputOnly)
@Controller('web')
export class WebController {
  constructor(private readonly config: AppConfig, private readonly db: DbService) {}

  @Get('config')
  @ApiOperation({ summary: 'What the web pages need before sign-in: the county and the optional base-map tiles' })
  @Returns(200, WebConfigSchema, 'The installation\'s web settings')
  async get(): Promise<WebConfig> {
    const rows = await this.db.query<{ name: string }>(`SELECT name FROM regions WHERE code = $1`, [this.config.COUNTY_CODE]);
    return {
      countyCode: this.config.COUNTY_CODE,
      countyName: rows[0]?.name ?? null,
      tileUrl: this.config.MAP_TILE_URL ?? null,
      tileAttribution: this.config.MAP_TILE_ATTRIBUTION ?? null,
    };
  }
}
