import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import { Problem, SlaAdminService } from '#core';
import type { Actor, CalendarDayInput, SlaRuleInput } from '#core';
import { CurrentActor } from '../auth/auth.guard.js';

export class SlaRuleDto implements SlaRuleInput {
  /** null: the county default for this urgency. */
  @ValidateIf((_, v) => v !== null) @Matches(/^\d{4}$/) categoryCode: string | null;
  @IsIn(['normal', 'urgent']) urgency: 'normal' | 'urgent';
  @IsIn(['working', 'natural']) basis: 'working' | 'natural';
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0.001) @Max(525600) acceptMinutes: number;
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0.001) @Max(525600) signMinutes: number;
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0.001) @Max(525600) handleMinutes: number;
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0.001) @Max(525600) verifyMinutes: number;
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0.01) @Max(0.99) yellowRatio?: number;
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(525600) escalateGraceMinutes?: number;
}

export class CalendarDayDto {
  @IsIn(['holiday', 'workday']) kind: 'holiday' | 'workday';
  @IsString() @MinLength(1) @MaxLength(40) name: string;
}

export class CalendarQuery {
  @IsOptional() @Type(() => Number) @IsInt() @Min(2000) @Max(2100) year?: number;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
function checkDate(date: string): string {
  if (!DATE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) throw Problem.invalidField('date', 'a date is YYYY-MM-DD', 400);
  return date;
}

/** Admin: SLA rules (时限) per category and urgency, and the holiday calendar (节假日/调休). */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin')
export class AdminController {
  constructor(private readonly sla: SlaAdminService) {}

  @Get('sla-rules')
  async rules(@CurrentActor() actor: Actor) {
    return { items: await this.sla.listRules(actor) };
  }

  @Put('sla-rules')
  upsertRule(@CurrentActor() actor: Actor, @Body() dto: SlaRuleDto) {
    return this.sla.upsertRule(actor, dto);
  }

  @Get('calendar')
  async calendar(@CurrentActor() actor: Actor, @Query() q: CalendarQuery) {
    return { items: await this.sla.listCalendar(actor, q.year) };
  }

  @Put('calendar/:date')
  putDay(@CurrentActor() actor: Actor, @Param('date') date: string, @Body() dto: CalendarDayDto): Promise<CalendarDayInput> {
    return this.sla.putCalendarDay(actor, { date: checkDate(date), kind: dto.kind, name: dto.name });
  }

  @Delete('calendar/:date') @HttpCode(204)
  async deleteDay(@CurrentActor() actor: Actor, @Param('date') date: string): Promise<void> {
    await this.sla.deleteCalendarDay(actor, checkDate(date));
  }
}
