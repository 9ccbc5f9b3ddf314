import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { EventDetailViewSchema, EventPageSchema, EventViewSchema } from '#contracts';
import type { EventDetailView, EventPage, EventView } from '#contracts';
import { AttachmentsService, EventsService, Problem } from '#core';
import type { Actor } from '#core';
import { CurrentActor } from '../auth/auth.guard.js';
import { DeclaredInputOnly } from '../common/fields.js';
import { IdParam, Problems, Returns } from '../common/openapi.js';
import { EventActionDto, ListEventsQuery, ReportEventDto } from './events.dto.js';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => Problem.notFound('event') });

@ApiTags('events')
@ApiBearerAuth()
@UseGuards(DeclaredInputOnly)
@Controller('events')
export class EventsController {
  constructor(private readonly events: EventsService, private readonly attachments: AttachmentsService) {}

  /** Report (上报): 201 with the new event, or 200 with the existing one for a known id. */
  @Post() @HttpCode(201)
  @ApiOperation({ summary: 'Report an event (上报); resending the same id returns the same event' })
  @Returns(201, EventViewSchema, 'Created: the new event')
  @Returns(200, EventViewSchema, 'The id was already reported (a resent report): the existing event')
  @Problems(403, [409, 'The id is already used by a report the caller cannot see'],
    [422, 'Outside the county, an unknown category, or an attachment that is not the reporter\'s (errors[] names the field)'],
    [503, 'The SLA settings kept changing during the report; retry'])
  async report(@CurrentActor() actor: Actor, @Body() dto: ReportEventDto, @Res({ passthrough: true }) res: Response): Promise<EventView> {
    const { created, event } = await this.events.report(actor, dto);
    res.status(created ? 201 : 200);
    return event;
  }

  @Get()
  @ApiOperation({ summary: 'Events in the caller\'s jurisdiction, newest first (or oldest-updated first with updatedSince), keyset-paged' })
  @Returns(200, EventPageSchema, 'A page of events')
  list(@CurrentActor() actor: Actor, @Query() q: ListEventsQuery): Promise<EventPage> {
    return this.events.list(actor, {
      status: q.status, level: q.level, regionCode: q.regionCode, categoryCode: q.categoryCode, warning: q.warning,
      bbox: q.bbox, q: q.q, updatedSince: q.updatedSince ? new Date(q.updatedSince) : undefined, cursor: q.cursor, limit: q.limit ?? 50,
    });
  }

  @Get(':id')
  @ApiOperation({ summary: 'An event with its timeline' })
  @IdParam('id', 'Event id')
  @Returns(200, EventDetailViewSchema, 'The event and its timeline')
  @Problems(404)
  async get(@CurrentActor() actor: Actor, @Param('id', uuid) id: string): Promise<EventDetailView> {
    const detail = await this.events.get(actor, id);
    const ids = [...detail.attachmentIds, ...detail.timeline.flatMap((t) => t.attachmentIds)];
    return { ...detail, photos: this.attachments.photoLinks(actor, ids) };
  }

  /** The one door for every transition (受理, 派遣, 签收, 反馈, 核查, 上报, 催办, 督办 …). */
  @Post(':id/actions') @HttpCode(201)
  @ApiOperation({ summary: 'Act on an event: the one door for every transition (受理, 派遣, 签收, 反馈, 核查, 上报, 催办, 督办 …)' })
  @IdParam('id', 'Event id')
  @Returns(201, EventViewSchema, 'The action was applied: the event after it')
  @Problems([403, 'The caller\'s role or unit may not take this action'], 404,
    [409, 'The action is not allowed in the current state, or expectedVersion is stale'],
    [422, 'A payload field refers to something unknown or not applicable (unit, target event, attachment, until …)'])
  act(@CurrentActor() actor: Actor, @Param('id', uuid) id: string, @Body() dto: EventActionDto): Promise<EventView> {
    return this.events.act(actor, id, dto);
  }
}
