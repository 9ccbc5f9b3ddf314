import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CALENDAR_DAY_KINDS, CalendarDayListSchema, CalendarDayViewSchema, SLA_BASES, SlaRuleListSchema, SlaRuleViewSchema, URGENCIES } from '#contracts';
import { COMPLEXITIES } from '#domain';
import type { CalendarDayList, CalendarDayView, SlaRuleList, SlaRuleView } from '#contracts';
import { SlaAdminService } from '#core';
import type { Actor, SlaRuleInput } from '#core';
import { CurrentActor } from '../auth/auth.guard.js';
import { Code, DateOnly, DeclaredInputOnly, Enum, Int, Num, Text } from '../common/fields.js';
import { Problems, Returns, ReturnsNothing } from '../common/openapi.js';

/** Limits are in minutes: more than 0, at most a year. */
const MINUTES = { min: 0.001, max: 525_600 } as const;

export class SlaRuleDto implements SlaRuleInput {
  @Code(/^\d{4}$/, { maxLength: 4, nullable: true, description: '4-digit 小类 code; null: the county default for this urgency.' }) categoryCode: string | null;
  @Enum(URGENCIES) urgency: 'normal' | 'urgent';
  @Enum(COMPLEXITIES, { optional: true, description: '复杂程度 (ordinary 一般 / complex 复杂); default ordinary.' }) complexity?: 'ordinary' | 'complex';
  @Enum(SLA_BASES, { description: 'working: 08:30–12:00 and 13:30–17:30 on working days (Asia/Shanghai); natural: wall-clock time.' }) basis: 'working' | 'natural';
  @Num({ ...MINUTES, description: '受理 limit, minutes' }) acceptMinutes: number;
  @Num({ ...MINUTES, optional: true, nullable: true, description: '派遣 limit, minutes; absent or null: the 受理 limit (受理 and 派遣 are separate steps).' }) dispatchMinutes?: number | null;
  @Num({ ...MINUTES, description: '签收 limit, minutes' }) signMinutes: number;
  @Num({ ...MINUTES, description: '处置 limit, minutes' }) handleMinutes: number;
  @Num({ ...MINUTES, description: '核查 limit, minutes' }) verifyMinutes: number;
  @Num({ min: 0.01, max: 0.99, optional: true, description: 'Share of a limit at which the event turns yellow (default 0.8).' }) yellowRatio?: number;
  @Num({ min: 0, max: 525_600, optional: true, description: 'Minutes after red before a 受理/派遣/签收 stage escalates (default 0).' }) escalateGraceMinutes?: number;
  @Num({ ...MINUTES, optional: true, nullable: true, description: '整体时限 (report to close), minutes of basis; absent or null: none.' }) overallMinutes?: number | null;
  @Num({ min: 0, max: 525_600, optional: true, nullable: true, description: 'Natural minutes a stage may stay red before the automatic 督办; absent: 7200 (5 days); null: never.' }) superviseAfterMinutes?: number | null;
  @Int({ min: 0, max: 366, optional: true, description: '延期 cap: natural days in all beyond a stage\'s original due time (default 20).' }) maxExtensionDays?: number;
}

export class CalendarDayDto {
  @Enum(CALENDAR_DAY_KINDS, { description: 'holiday: a day off on a weekday; workday: a working weekend day (调休).' }) kind: 'holiday' | 'workday';
  @Text({ max: 40, example: '春节' }) name: string;
}

export class CalendarQuery {
  @Int({ min: 2000, max: 2100, optional: true, query: true, description: 'Only this year.' }) year?: number;
}

export class CalendarDateParam {
  @DateOnly({ description: 'The day, YYYY-MM-DD (a real calendar day in 2000–2100).' }) date: string;
}

/** Admin: SLA rules (时限) per category and urgency, and the holiday calendar (节假日/调休). */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(DeclaredInputOnly)
@Controller('admin')
export class AdminController {
  constructor(private readonly sla: SlaAdminService) {}

  @Get('sla-rules')
  @ApiOperation({ summary: 'Every SLA rule (admin)' })
  @Returns(200, SlaRuleListSchema, 'The rules, the county defaults first')
  @Problems(403)
  async rules(@CurrentActor() actor: Actor): Promise<SlaRuleList> {
    return { items: await this.sla.listRules(actor) };
  }

  @Put('sla-rules')
  @ApiOperation({ summary: 'Create or replace the rule of a category and urgency (admin); applies to stages that start afterwards' })
  @Returns(200, SlaRuleViewSchema, 'The rule as stored')
  @Problems(403, [422, 'Unknown category (errors[] names categoryCode)'])
  upsertRule(@CurrentActor() actor: Actor, @Body() dto: SlaRuleDto): Promise<SlaRuleView> {
    return this.sla.upsertRule(actor, dto);
  }

  @Get('calendar')
  @ApiOperation({ summary: 'Holidays and make-up working days (admin)' })
  @Returns(200, CalendarDayListSchema, 'The days, in date order')
  @Problems(403)
  async calendar(@CurrentActor() actor: Actor, @Query() q: CalendarQuery): Promise<CalendarDayList> {
    return { items: await this.sla.listCalendar(actor, q.year) };
  }

  @Put('calendar/:date')
  @ApiOperation({ summary: 'Set a day as a holiday or a working day (admin)' })
  @Returns(200, CalendarDayViewSchema, 'The day as stored')
  @Problems(403)
  putDay(@CurrentActor() actor: Actor, @Param() p: CalendarDateParam, @Body() dto: CalendarDayDto): Promise<CalendarDayView> {
    return this.sla.putCalendarDay(actor, { date: p.date, kind: dto.kind, name: dto.name });
  }

  @Delete('calendar/:date') @HttpCode(204)
  @ApiOperation({ summary: 'Remove a day from the calendar (admin): it follows the week again' })
  @ReturnsNothing(204, 'Removed')
  @Problems(403, [404, 'The day is not in the calendar'])
  async deleteDay(@CurrentActor() actor: Actor, @Param() p: CalendarDateParam): Promise<void> {
    await this.sla.deleteCalendarDay(actor, p.date);
  }
}
