import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Type } from '@sinclair/typebox';
import type { Request } from 'express';
import { DateTime, Nullable, Shape } from '#contracts';
import { EventsService, HotlineService, Problem } from '#core';
import type { Actor, HotlineContact, HotlineOrderView } from '#core';
import { CurrentActor } from '../auth/auth.guard.js';
import { DeclaredInputOnly, Text } from '../common/fields.js';
import { IdParam, Problems, Returns } from '../common/openapi.js';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => Problem.notFound('event') });

export const HotlineOrderViewSchema = Shape('HotlineOrderView', {
  eventId: Type.String({ format: 'uuid' }),
  orderNo: Type.String({ description: '工单编号 (the province\'s order number)' }),
  appealType: Type.String({ description: '诉求类型: 咨询/求助/投诉/举报/建议 … as the order gives it' }),
  channel: Nullable(Type.String()),
  category: Nullable(Type.String({ description: 'The order\'s own 诉求分类' })),
  title: Type.String(),
  content: Type.String(),
  address: Nullable(Type.String()),
  isUrgent: Type.Boolean(),
  isRepeat: Type.Boolean({ description: '重复件' }),
  parentOrderNo: Nullable(Type.String()),
  handleUnit: Nullable(Type.String({ description: '承办单位 named by the province' })),
  attachments: Type.Array(Type.String()),
  callerName: Nullable(Type.String({ description: 'Masked (张*)' })),
  callerPhone: Nullable(Type.String({ description: 'Masked (138****1234)' })),
  signDueAt: Nullable(DateTime('签收时限 of the order')),
  handleDueAt: Nullable(DateTime('办理时限 of the order')),
  evaluateDueAt: Nullable(DateTime('评价时限 of the order')),
  receivedAt: DateTime(),
  visitRating: Nullable(Type.Integer({ minimum: 1, maximum: 5, description: '回访 score (满意 5, 基本满意 3, 不满意 1)' })),
  visitedAt: Nullable(DateTime()),
});

export const HotlineContactSchema = Shape('HotlineContact', {
  callerName: Nullable(Type.String()),
  callerPhone: Nullable(Type.String()),
});

export class ContactRequestDto {
  @Text({ max: 200, description: 'Why the caller\'s contact is needed (e.g. 回电核实): written to the audit log with who asked.' }) reason: string;
}

/** Who may see a caller's contact in clear: the intake and dispatch desks (乡镇调度员, 县中心坐席). */
const CONTACT_ROLES = new Set(['township_dispatcher', 'county_operator']);

/** The 12345 work order behind an event: masked for whoever may see the event; the contact in clear only with a reason, audited. */
@ApiTags('events')
@ApiBearerAuth()
@UseGuards(DeclaredInputOnly)
@Controller('events')
export class HotlineOrdersController {
  constructor(private readonly events: EventsService, private readonly hotline: HotlineService) {}

  @Get(':id/hotline-order')
  @ApiOperation({ summary: 'The 12345 work order (工单) an event came from; the caller\'s contact masked' })
  @IdParam('id', 'Event id')
  @Returns(200, HotlineOrderViewSchema, 'The order as pushed down, its limits and its 回访 rating')
  @Problems([404, 'No such event in the caller\'s jurisdiction, or the event did not come from 12345'])
  async order(@CurrentActor() actor: Actor, @Param('id', uuid) id: string): Promise<HotlineOrderView> {
    await this.events.get(actor, id); // visibility: 404 outside the caller's jurisdiction
    const view = await this.hotline.orderOf(id);
    if (!view) throw Problem.notFound(`12345 work order of event ${id}`);
    return view;
  }

  @Post(':id/hotline-order/contact') @HttpCode(200)
  @ApiOperation({ summary: 'The caller\'s name and phone in clear (dispatchers): needs a reason, audited' })
  @IdParam('id', 'Event id')
  @Returns(200, HotlineContactSchema, 'The clear values')
  @Problems(403, [404, 'No such event in the caller\'s jurisdiction, or the event did not come from 12345'])
  async contact(@CurrentActor() actor: Actor, @Param('id', uuid) id: string, @Body() dto: ContactRequestDto, @Req() req: Request): Promise<HotlineContact> {
    if (!CONTACT_ROLES.has(actor.role)) throw Problem.forbidden(`role ${actor.role} may not see a caller's contact`);
    await this.events.get(actor, id);
    return this.hotline.revealContact(actor, id, dto.reason, req.ip ?? null);
  }
}
