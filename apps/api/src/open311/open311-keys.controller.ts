import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Type } from '@sinclair/typebox';
import type { Request } from 'express';
import { DateTime, Nullable, Shape, Uuid } from '#contracts';
import { Open311KeysService, Problem } from '#core';
import type { Actor, IssuedOpen311Key, IssueOpen311Key, Open311KeyView } from '#core';
import { CurrentActor } from '../auth/auth.guard.js';
import { DeclaredInputOnly, Text } from '../common/fields.js';
import { IdParam, Problems, Returns } from '../common/openapi.js';

// component names are letters only (the OpenAPI test's rule): GeoReport stands for Open311 in them
const KEY_FIELDS = {
  id: Uuid(),
  name: Type.String({ description: 'Who the key is for (the application or partner).' }),
  keyPrefix: Type.String({ description: 'The first characters of the key, to tell keys apart; not enough to use it.' }),
  serviceUserId: Uuid(),
  serviceUsername: Type.String({ description: 'The reporting account the requests are filed as.' }),
  createdAt: DateTime(),
  revokedAt: Nullable(DateTime()),
  lastUsedAt: Nullable(DateTime('The last service request filed with it.')),
};
export const Open311KeyViewSchema = Shape('GeoReportKeyView', KEY_FIELDS);
export const Open311KeyListSchema = Shape('GeoReportKeyList', { items: Type.Array(Open311KeyViewSchema) });
export const IssuedOpen311KeySchema = Shape('IssuedGeoReportKey', {
  ...KEY_FIELDS,
  apiKey: Type.String({ description: 'The key (GeoReport v2 `api_key`): shown in this answer only, never again.' }),
});

export class IssueGeoReportKeyDto implements IssueOpen311Key {
  @Text({ max: 100, description: 'Who the key is for (the application or partner).' }) name: string;
  @Text({ max: 64, description: 'Username of the reporting account (grid worker, township dispatcher or county operator) the requests are filed as.' })
  serviceUsername: string;
}

const keyId = () => new ParseUUIDPipe({ exceptionFactory: () => Problem.notFound('Open311 key') });

/** Admin: the Open311 API keys (GeoReport v2 `api_key`) — issue, list, revoke; every change audited. Other roles get 403. */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(DeclaredInputOnly)
@Controller('admin/open311-keys')
export class Open311KeysController {
  constructor(private readonly keys: Open311KeysService) {}

  @Get()
  @ApiOperation({ summary: 'The Open311 API keys, revoked ones included, newest first (admin); never the keys themselves' })
  @Returns(200, Open311KeyListSchema, 'The keys')
  @Problems(403)
  async list(@CurrentActor() actor: Actor): Promise<{ items: Open311KeyView[] }> {
    return { items: await this.keys.list(actor) };
  }

  @Post()
  @ApiOperation({ summary: 'Issue an Open311 API key filing as a reporting account (admin); the key is in this answer only' })
  @Returns(201, IssuedOpen311KeySchema, 'The key, once')
  @Problems(403, [422, 'No such user, disabled, or not a reporting role (errors[] names serviceUsername)'])
  issue(@CurrentActor() actor: Actor, @Body() dto: IssueGeoReportKeyDto, @Req() req: Request): Promise<IssuedOpen311Key> {
    return this.keys.issue(actor, dto, req.ip ?? null);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke an Open311 API key at once (admin); revoking it again changes nothing' })
  @IdParam('id', 'Key id')
  @Returns(200, Open311KeyViewSchema, 'The key, revoked')
  @Problems(403, 404)
  revoke(@CurrentActor() actor: Actor, @Param('id', keyId()) id: string, @Req() req: Request): Promise<Open311KeyView> {
    return this.keys.revoke(actor, id, req.ip ?? null);
  }
}
