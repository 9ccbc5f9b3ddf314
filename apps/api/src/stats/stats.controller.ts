import { Body, Controller, Get, Put, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RANKING_KINDS, RepeatsSchema, STATS_BUCKETS, STATS_EXPORT_FORMATS, STATS_EXPORT_VIEWS, StatsRankingsSchema, StatsSummarySchema,
  StatsTrendSchema, StatsWeightListSchema, StatsWeightViewSchema, TopCategoriesSchema } from '#contracts';
import type { Repeats, StatsRankings, StatsSummary, StatsTrend, StatsWeightList, StatsWeightView, TopCategories } from '#contracts';
import { StatsService } from '#core';
import type { Actor, Bucket, RankingKind } from '#core';
import { CurrentActor } from '../auth/auth.guard.js';
import { Code, DateOnly, DeclaredInputOnly, Enum, Int, Num, Text } from '../common/fields.js';
import { Problems, Returns } from '../common/openapi.js';

class StatsScopeQuery {
  @Code(/^\d{6,15}$/, { maxLength: 15, optional: true, query: true, description: 'County, township, village or grid code (default: the caller\'s jurisdiction; a handler: their unit).' }) regionCode?: string;
  @Code(/^[0-9A-Za-z-]{1,40}$/, { maxLength: 40, optional: true, query: true, description: 'A unit instead of a region.' }) unitCode?: string;
  @DateOnly({ optional: true, query: true, description: 'First day (Asia/Shanghai), inclusive; default: the first of to\'s month.' }) from?: string;
  @DateOnly({ optional: true, query: true, description: 'Last day (Asia/Shanghai), inclusive; default: today.' }) to?: string;
}
class StatsTrendQuery extends StatsScopeQuery {
  @Enum(STATS_BUCKETS, { optional: true, query: true, description: 'day (default), week (Monday first) or month; at most 400 days.' }) bucket?: Bucket;
}
class RankingsQuery {
  @Enum(RANKING_KINDS, { query: true }) kind: RankingKind;
  @DateOnly({ optional: true, query: true }) from?: string;
  @DateOnly({ optional: true, query: true }) to?: string;
}
class TopCategoriesQuery extends StatsScopeQuery {
  @Int({ min: 1, max: 100, optional: true, query: true, description: 'How many (default 10).' }) limit?: number;
}
class RepeatsQuery extends StatsScopeQuery {
  @Num({ min: 1, max: 5000, optional: true, query: true, description: 'Radius in metres (default 50).' }) radiusMetres?: number;
  @Int({ min: 1, max: 365, optional: true, query: true, description: 'An earlier event at most this many days before (default 30).' }) withinDays?: number;
}
class StatsExportQuery extends StatsTrendQuery {
  @Enum(STATS_EXPORT_FORMATS, { optional: true, query: true, description: 'xlsx (default: one sheet per view) or csv (one view, UTF-8 with a BOM).' }) format?: 'xlsx' | 'csv';
  @Enum(STATS_EXPORT_VIEWS, { optional: true, query: true, description: 'The view of a csv (default summary).' }) view?: (typeof STATS_EXPORT_VIEWS)[number];
  @Enum(RANKING_KINDS, { optional: true, query: true, description: 'The ranking sheet (default township).' }) kind?: RankingKind;
}
class StatsWeightDto {
  @Enum(RANKING_KINDS) kind: RankingKind;
  @Text({ max: 40 }) indicator: string;
  @Num({ min: 0, max: 100 }) weight: number;
}

/** Evaluation (考核评价) and 晾晒: figures from the facts recorded when things happened. */
@ApiTags('stats')
@ApiBearerAuth()
@UseGuards(DeclaredInputOnly)
@Controller('stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get('summary')
  @ApiOperation({ summary: 'The figures of a region or unit over a period (Asia/Shanghai days); rates 0–1 or null' })
  @Returns(200, StatsSummarySchema, 'The figures')
  @Problems([422, 'Unknown region or unit, from after to'])
  summary(@CurrentActor() actor: Actor, @Query() q: StatsScopeQuery): Promise<StatsSummary> {
    return this.stats.summary(actor, q);
  }

  @Get('trend')
  @ApiOperation({ summary: 'The same figures per day, week or month' })
  @Returns(200, StatsTrendSchema, 'One item per bucket')
  @Problems([422, 'Unknown region or unit, from after to, more than 400 days'])
  trend(@CurrentActor() actor: Actor, @Query() q: StatsTrendQuery): Promise<StatsTrend> {
    return this.stats.trend(actor, q);
  }

  @Get('rankings')
  @ApiOperation({ summary: '晾晒: townships, county departments or grid workers ranked by a weighted score, with the change against the previous period' })
  @Returns(200, StatsRankingsSchema, 'Ranked rows')
  @Problems([422, 'from after to, more than 400 days'])
  rankings(@CurrentActor() actor: Actor, @Query() q: RankingsQuery): Promise<StatsRankings> {
    return this.stats.rankings(actor, q);
  }

  @Get('top-categories')
  @ApiOperation({ summary: '高发: the categories reported most in the period' })
  @Returns(200, TopCategoriesSchema, 'Categories, most reported first')
  @Problems([422, 'Unknown region or unit, from after to'])
  topCategories(@CurrentActor() actor: Actor, @Query() q: TopCategoriesQuery): Promise<TopCategories> {
    return this.stats.topCategories(actor, q);
  }

  @Get('repeats')
  @ApiOperation({ summary: '回头件: events of a category reported again near an earlier one; only events the caller may see' })
  @Returns(200, RepeatsSchema, 'Repeat events with the earlier event they repeat')
  @Problems([422, 'Unknown region or unit, from after to'])
  repeats(@CurrentActor() actor: Actor, @Query() q: RepeatsQuery): Promise<Repeats> {
    return this.stats.repeats(actor, q);
  }

  @Get('export')
  @ApiOperation({ summary: 'The same figures as the screens as xlsx (汇总, 趋势, 排名, 高发类别) or csv (one view), Chinese headers; audited' })
  @ApiResponse({ status: 200, description: 'The workbook or the table', content: {
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { schema: { type: 'string', format: 'binary' } },
    'text/csv': { schema: { type: 'string', format: 'binary' } } } })
  @Problems([422, 'Unknown region or unit, from after to'])
  async export(@CurrentActor() actor: Actor, @Query() q: StatsExportQuery, @Req() req: Request, @Res() res: Response): Promise<void> {
    const { mime, data, filename } = await this.stats.export(actor, q, req.ip ?? null);
    res.type(mime).setHeader('Content-Disposition', `attachment; filename="${filename}"`);
    res.setHeader('Cache-Control', 'no-store');
    res.send(data);
  }

  @Get('weights')
  @ApiOperation({ summary: 'The 晾晒 weights (indicator → weight by ranking kind)' })
  @Returns(200, StatsWeightListSchema, 'Every weight')
  async weights(): Promise<StatsWeightList> {
    return { items: await this.stats.weights() };
  }

  @Put('weights')
  @ApiOperation({ summary: 'Set a 晾晒 weight (admin); audited' })
  @Returns(200, StatsWeightViewSchema, 'The weight as stored')
  @Problems(403, [422, 'Unknown indicator for the kind'])
  putWeight(@CurrentActor() actor: Actor, @Body() dto: StatsWeightDto): Promise<StatsWeightView> {
    return this.stats.putWeight(actor, dto);
  }
}
