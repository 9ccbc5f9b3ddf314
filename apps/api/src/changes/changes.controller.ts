import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CHANGE_POSITION_PATTERN, ChangePageSchema } from '#contracts';
import type { ChangePage } from '#contracts';
import { EventsService } from '#core';
import type { Actor } from '#core';
import { CurrentActor } from '../auth/auth.guard.js';
import { Code, DeclaredInputOnly, Int } from '../common/fields.js';
import { Returns } from '../common/openapi.js';

export class ChangesQuery {
  @Code(new RegExp(CHANGE_POSITION_PATTERN), { maxLength: 39, optional: true, query: true,
    description: 'The `nextCursor` of the previous answer. Omit it to get the head (no items) and follow from there; `0.0` reads from the beginning.' })
  after?: string;

  @Int({ min: 1, max: 500, optional: true, query: true, description: 'Page size (default 200).' }) limit?: number;
}

/** The change feed (变更流): every committed change the caller may see, in an order no late commit falls behind. */
@ApiTags('events')
@ApiBearerAuth()
@UseGuards(DeclaredInputOnly)
@Controller('changes')
export class ChangesController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @ApiOperation({ summary: 'Changes to the events the caller may see after a cursor, oldest first (resync after a disconnect)' })
  @Returns(200, ChangePageSchema, 'The changes after the cursor and the cursor to continue from')
  list(@CurrentActor() actor: Actor, @Query() q: ChangesQuery): Promise<ChangePage> {
    return this.events.changes(actor, q.after, q.limit ?? 200);
  }
}
