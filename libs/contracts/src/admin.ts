/** Admin: SLA rules (时限) and the holiday calendar (节假日/调休). */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { DateOnly, DateTime, Nullable, Shape, StringEnum } from './schema.js';
import { COMPLEXITIES } from '#domain';
import { SLA_BASES, URGENCIES } from './events.js';

export const CALENDAR_DAY_KINDS = ['holiday', 'workday'] as const;

export const SlaRuleViewSchema = Shape('SlaRuleView', {
  id: Type.Integer(),
  categoryCode: Nullable(Type.String({ description: 'null: the county default for this urgency.' })),
  urgency: StringEnum(URGENCIES),
  complexity: StringEnum(COMPLEXITIES, { description: '复杂程度 the rule is for; a tier without a rule of its own takes the 一般 (ordinary) rule.' }),
  basis: StringEnum(SLA_BASES),
  acceptMinutes: Type.Number({ exclusiveMinimum: 0 }),
  dispatchMinutes: Nullable(Type.Number({ exclusiveMinimum: 0, description: '派遣 limit; null: the 受理 limit applies.' })),
  signMinutes: Type.Number({ exclusiveMinimum: 0 }),
  handleMinutes: Type.Number({ exclusiveMinimum: 0 }),
  verifyMinutes: Type.Number({ exclusiveMinimum: 0 }),
  yellowRatio: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
  escalateGraceMinutes: Type.Number({ minimum: 0 }),
  overallMinutes: Nullable(Type.Number({ exclusiveMinimum: 0, description: '整体时限, report to close, minutes of basis; null: none.' })),
  superviseAfterMinutes: Nullable(Type.Number({ minimum: 0, description: 'Natural minutes red before the automatic 督办; null: never.' })),
  maxExtensionDays: Type.Integer({ minimum: 0, description: '延期: natural days in all beyond a stage\'s original due time.' }),
  updatedAt: DateTime(),
});
export type SlaRuleView = Static<typeof SlaRuleViewSchema>;

export const SlaRuleListSchema = Shape('SlaRuleList', { items: Type.Array(SlaRuleViewSchema) });
export type SlaRuleList = Static<typeof SlaRuleListSchema>;

export const CalendarDayViewSchema = Shape('CalendarDayView', {
  date: DateOnly(),
  kind: StringEnum(CALENDAR_DAY_KINDS, { description: 'holiday: a day off on a weekday; workday: a working weekend day (调休).' }),
  name: Type.String(),
});
export type CalendarDayView = Static<typeof CalendarDayViewSchema>;

export const CalendarDayListSchema = Shape('CalendarDayList', { items: Type.Array(CalendarDayViewSchema) });
export type CalendarDayList = Static<typeof CalendarDayListSchema>;
