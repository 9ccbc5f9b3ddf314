import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { EventsService, Problem } from '#core';
import type { Actor } from '#core';
import { CurrentActor } from '../auth/auth.guard.js';
import { EventActionDto, ListEventsQuery, ReportEventDto } from './events.dto.js';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => Problem.notFound('event') });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A list cursor is base64url of `<ISO time>|<event id>` (see EventsService.list); anything else is refused before SQL sees it. */
function isCursor(cursor: string): boolean {
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString().split('|');
  return rest.length === 0 && id !== undefined && UUID.test(id) && at !== undefined && !Number.isNaN(Date.parse(at));
}

@ApiTags('events')
@ApiBearerAuth()
@Controller('events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  /** Report (上报): 201 with the new event, or 200 with the existing one for a known id. */
  @Post()
  async report(@CurrentActor() actor: Actor, @Body() dto: ReportEventDto, @Res({ passthrough: true }) res: Response) {
    const { created, event } = await this.events.report(actor, dto);
    res.status(created ? 201 : 200);
    return event;
  }

  @Get()
  list(@CurrentActor() actor: Actor, @Query() q: ListEventsQuery) {
    if (q.bbox && q.bbox.length !== 4) throw Problem.invalidField('bbox', 'bbox is minLng,minLat,maxLng,maxLat', 400);
    if (q.cursor !== undefined && !isCursor(q.cursor)) throw Problem.invalidField('cursor', 'not a cursor returned by this API', 400);
    return this.events.list(actor, {
      status: q.status, level: q.level, regionCode: q.regionCode, categoryCode: q.categoryCode, warning: q.warning,
      bbox: q.bbox as [number, number, number, number] | undefined, q: q.q,
      updatedSince: q.updatedSince ? new Date(q.updatedSince) : undefined, cursor: q.cursor, limit: q.limit ?? 50,
    });
  }

  @Get(':id')
  get(@CurrentActor() actor: Actor, @Param('id', uuid) id: string) {
    return this.events.get(actor, id);
  }

  /** The one door for every transition (受理, 派遣, 签收, 反馈, 核查, 上报, 催办, 督办 …). */
  @Post(':id/actions')
  act(@CurrentActor() actor: Actor, @Param('id', uuid) id: string, @Body() dto: EventActionDto) {
    return this.events.act(actor, id, dto);
  }
}
