import { Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import type { PipeTransform } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Type } from '@sinclair/typebox';
import type { Request } from 'express';
import { DateTime, Nullable, Shape, StringEnum, Uuid } from '#contracts';
import { Problem } from '#core';
import type { Actor } from '#core';
// libs/core/src/index.ts does not export the relay's folder yet (requested in /work/notes/requests-relay.md)
import { GATEWAY_DELIVERY_KINDS, GATEWAY_DELIVERY_STATES, GatewayDeliveriesAdminService } from '../../../../libs/core/src/gateway-relay/index.js';
import type { GatewayDeliveryKind, GatewayDeliveryState, GatewayDeliveryView } from '../../../../libs/core/src/gateway-relay/index.js';
import { CurrentActor } from '../auth/auth.guard.js';
import { Code, DeclaredInputOnly, Enum, Int, Uuid as UuidField } from '../common/fields.js';
import { Problems, Returns } from '../common/openapi.js';

const ID = /^[1-9]\d{0,18}$/;

export const GatewayDeliveryViewSchema = Shape('GatewayDeliveryView', {
  id: Type.String({ pattern: ID.source, description: 'The delivery id (a decimal integer).' }),
  eventId: Uuid(),
  actionId: Type.String({ pattern: ID.source, description: 'The timeline row (流转记录) the delivery announces.' }),
  kind: StringEnum(GATEWAY_DELIVERY_KINDS, { description: 'Which gateway call it is.' }),
  messageId: Type.String({ description: 'Our message id, the same on every redelivery (the gateway applies it once).' }),
  payload: Type.Record(Type.String(), Type.Unknown(), { description: 'The message in our field names.' }),
  state: StringEnum(GATEWAY_DELIVERY_STATES, { description: 'pending, done, dead (refused or out of rounds: holds back the later deliveries of its event) or skipped.' }),
  attempts: Type.Integer({ minimum: 0, description: 'Rounds begun since it was written or last replayed.' }),
  nextAttemptAt: DateTime('When a pending delivery may be tried next.'),
  lastError: Nullable(Type.String()),
  lastStatus: Nullable(Type.Integer()),
  createdAt: DateTime(),
  doneAt: Nullable(DateTime()),
});
export const GatewayDeliveryPageSchema = Shape('GatewayDeliveryPage', {
  items: Type.Array(GatewayDeliveryViewSchema),
  next: Nullable(Type.String({ description: 'Pass as `after` for the next page; null on the last one.' })),
});

export class GatewayDeliveryQuery {
  @Enum(GATEWAY_DELIVERY_STATES, { optional: true, description: 'Only deliveries in this state (dead: the dead letters).' }) state?: GatewayDeliveryState;
  @Enum(GATEWAY_DELIVERY_KINDS, { optional: true, description: 'Only deliveries of this kind.' }) kind?: GatewayDeliveryKind;
  @UuidField({ optional: true, description: 'Only the deliveries of this event.' }) eventId?: string;
  @Code(ID, { maxLength: 19, optional: true, description: 'The `next` of the previous page.' }) after?: string;
  @Int({ min: 1, max: 500, optional: true, query: true, description: 'Page size (default 100).' }) limit?: number;
}

/** A delivery id in the path: anything but a positive decimal integer is no such delivery. */
const deliveryId: PipeTransform<string, string> = {
  transform: (v: string) => { if (!ID.test(v)) throw Problem.notFound('gateway delivery'); return v; },
};

/**
 * Admin: the deliveries to the provincial gateways (网关投递) and their dead letters (死信). A dead delivery holds back the
 * later deliveries of its event until an administrator replays it (delivered again, same message id) or skips it.
 * Both are audited. Other roles get 403.
 */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(DeclaredInputOnly)
@Controller('admin/gateway-deliveries')
export class GatewayDeliveriesController {
  constructor(private readonly deliveries: GatewayDeliveriesAdminService) {}

  @Get()
  @ApiOperation({ summary: 'Gateway deliveries, oldest first, filtered by state, kind and event (admin); ?state=dead lists the dead letters' })
  @Returns(200, GatewayDeliveryPageSchema, 'A page of deliveries')
  @Problems(403)
  list(@CurrentActor() actor: Actor, @Query() q: GatewayDeliveryQuery): Promise<{ items: GatewayDeliveryView[]; next: string | null }> {
    const { limit, ...filter } = q;
    return this.deliveries.list(actor, filter, limit ?? 100);
  }

  @Post(':id/replay')
  @HttpCode(200)
  @ApiOperation({ summary: 'Deliver a dead (or skipped) delivery again, with the same message id (admin; audited)' })
  @ApiParam({ name: 'id', description: 'Delivery id', required: true, schema: { type: 'string', pattern: ID.source } })
  @Returns(200, GatewayDeliveryViewSchema, 'The delivery, pending again')
  @Problems(403, 404, [409, 'The delivery is pending or done'])
  replay(@CurrentActor() actor: Actor, @Param('id', deliveryId) id: string, @Req() req: Request): Promise<GatewayDeliveryView> {
    return this.deliveries.replay(actor, id, req.ip ?? null);
  }

  @Post(':id/skip')
  @HttpCode(200)
  @ApiOperation({ summary: 'Give up a dead delivery: never sent, its event\'s later deliveries go on (admin; audited)' })
  @ApiParam({ name: 'id', description: 'Delivery id', required: true, schema: { type: 'string', pattern: ID.source } })
  @Returns(200, GatewayDeliveryViewSchema, 'The delivery, skipped')
  @Problems(403, 404, [409, 'The delivery is not dead'])
  skip(@CurrentActor() actor: Actor, @Param('id', deliveryId) id: string, @Req() req: Request): Promise<GatewayDeliveryView> {
    return this.deliveries.skip(actor, id, req.ip ?? null);
  }
}
