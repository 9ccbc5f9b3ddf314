import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AdminGridListSchema, UserAdminViewSchema } from '#contracts';
import type { AdminGridList, UserAdminView } from '#contracts';
import { GridsAdminService } from '#core';
import type { Actor } from '#core';
import { CurrentActor } from '../auth/auth.guard.js';
import { Bool, Code, DeclaredInputOnly, Int, Text, Uuid } from '../common/fields.js';
import { Problems, Returns } from '../common/openapi.js';

export class GridsQuery {
  @Code(/^\d{6,12}$/, { maxLength: 12, optional: true, description: 'Region-code prefix: a township or village (default: the county).' }) region?: string;
  @Bool({ optional: true, query: true, description: 'true: only grids without an enabled grid worker.' }) uncovered?: boolean;
  @Text({ max: 30, optional: true, query: true, description: 'Part of the grid name, or a code prefix.' }) q?: string;
  @Int({ min: 1, max: 500, optional: true, query: true, description: 'Page size (default 100).' }) limit?: number;
  @Int({ min: 0, max: 1_000_000, optional: true, query: true }) offset?: number;
}

export class GridCodeParam {
  @Code(/^\d{15}$/, { maxLength: 15, description: 'The 15-digit grid code.' }) code: string;
}

export class AssignWorkerDto {
  @Uuid({ description: 'A grid worker: their jurisdiction becomes the grid, their unit its team.' }) userId: string;
}

/** Admin: grids (网格) and the grid workers who cover them. Every other role gets 403. */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(DeclaredInputOnly)
@Controller('admin/grids')
export class GridsAdminController {
  constructor(private readonly grids: GridsAdminService) {}

  @Get()
  @ApiOperation({ summary: 'Grids with their grid workers, or only those without one (admin)' })
  @Returns(200, AdminGridListSchema, 'A page of grids in code order; how many match and how many have no worker')
  @Problems(403)
  list(@CurrentActor() actor: Actor, @Query() q: GridsQuery): Promise<AdminGridList> {
    return this.grids.list(actor, { ...q, limit: q.limit ?? 100, offset: q.offset ?? 0 });
  }

  @Post(':code/workers') @HttpCode(200)
  @ApiOperation({ summary: 'Place a grid worker on a grid (admin); audited as a change of the user' })
  @Returns(200, UserAdminViewSchema, 'The grid worker as stored')
  @Problems(403, [404, 'No such grid'], [422, 'No such user, or not a grid worker (errors[] names userId)'])
  assign(@CurrentActor() actor: Actor, @Param() p: GridCodeParam, @Body() dto: AssignWorkerDto, @Req() req: Request): Promise<UserAdminView> {
    return this.grids.assign(actor, p.code, dto.userId, req.ip ?? null);
  }
}
