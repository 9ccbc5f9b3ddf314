/**
 * Evaluation (考核评价) and 晾晒: the figures a county is judged by, computed from the facts recorded when things happened
 * (event_facts, stage_facts), never from today's rules or calendar. Rates are fractions 0–1, or null when the denominator
 * is empty. Periods are whole Asia/Shanghai days, `from` and `to` inclusive.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { Closed, DateOnly, Nullable, Shape, StringEnum } from './schema.js';

export const STATS_BUCKETS = ['day', 'week', 'month'] as const;
export const RANKING_KINDS = ['township', 'department', 'grid_worker'] as const;
export const STATS_EXPORT_FORMATS = ['xlsx', 'csv'] as const;
export const STATS_EXPORT_VIEWS = ['summary', 'trend', 'rankings', 'top-categories'] as const;

const Rate = (description: string) => Nullable(Type.Number({ minimum: 0, maximum: 1, description }));
const Count = (description: string) => Type.Integer({ minimum: 0, description });

export const StatsScopeSchema = Closed({
  regionCode: Nullable(Type.String({ description: 'County, township, village or grid code (a prefix of the frozen grid code).' })),
  unitCode: Nullable(Type.String({ description: 'A unit: stage figures of the stages it owned, case figures of the cases it handled.' })),
  name: Type.String({ description: 'Display name of the region or unit.' }),
});

/** The figures of one period; the same set in the summary, in each trend bucket and in each ranking row. */
const FIGURES = {
  reported: Count('上报: events reported in the period.'),
  accepted: Count('受理: events first accepted in the period.'),
  dispatched: Count('派遣: events first dispatched in the period.'),
  closed: Count('结案: events first closed in the period (a 重办 closing again is not counted twice).'),
  open: Nullable(Count('Open now (summary); null in trend buckets.')),
  overdue: Nullable(Closed({ yellow: Count('黄牌 now'), red: Count('红牌 (overdue) now') }, { description: 'Open events by warning now (summary); null in trend buckets.' })),
  onTimeAcceptRate: Rate('按时受理率: 受理 stages ended in the period at or before their due time / those with a limit.'),
  onTimeSignRate: Rate('按时签收率: 签收 stages ended by 签收 in the period on time / those with a limit.'),
  onTimeHandleRate: Rate('按时处置率: 处置 stages ended by 反馈 in the period on time / those with a limit.'),
  onTimeCloseRate: Rate('按期结案率: closed in the period within the overall limit (整体时限; without one: no late 处置) / closed.'),
  closeRate: Rate('结案率: reported in the period and closed by its end / reported in the period less 作废 and 合并.'),
  firstTimeRate: Rate('一次办结率 = 1 − 返工率: closed in the period without 返工 / closed.'),
  returnRate: Rate('退回率: closed in the period after at least one 退回 / closed after a dispatch.'),
  wrongDispatchRate: Rate('错误派遣率: closed in the period with a unit added after the first dispatch / closed after a dispatch.'),
  satisfactionRate: Rate('满意率: first ratings given in the period that were 满意 or 基本满意 (score ≥ 3) / first ratings.'),
  avgHandleWorkingHours: Nullable(Type.Number({ minimum: 0, description: '处置 stages ended by 反馈 in the period: mean working hours (time suspended left out).' })),
  resolvedByLevel: Closed({
    village: Rate('小事不出村: share of the period\'s closures resolved at village/grid level (自行处置).'),
    township: Rate('大事不出镇: share resolved at township level.'),
    county: Rate('share resolved at county level.'),
  }),
};

export const StatsSummarySchema = Shape('StatsSummary', {
  scope: StatsScopeSchema,
  from: DateOnly(),
  to: DateOnly(),
  ...FIGURES,
});
export type StatsSummary = Static<typeof StatsSummarySchema>;
export type StatsFigures = Omit<StatsSummary, 'scope' | 'from' | 'to'>;

export const StatsTrendSchema = Shape('StatsTrend', {
  scope: StatsScopeSchema,
  from: DateOnly(),
  to: DateOnly(),
  bucket: StringEnum(STATS_BUCKETS),
  items: Type.Array(Closed({ from: DateOnly(), to: DateOnly(), ...FIGURES })),
});
export type StatsTrend = Static<typeof StatsTrendSchema>;

export const RankingRowSchema = Closed({
  key: Type.String({ description: 'Township code, unit code or user id.' }),
  name: Type.String(),
  score: Nullable(Type.Number({ description: 'Σ weight × indicator × 100 over the indicators present, weights scaled to the ones present; null: none present.' })),
  rank: Nullable(Type.Integer({ minimum: 1, description: 'Competition ranking (1, 2, 2, 4): equal scores share a rank; null without a score.' })),
  tied: Type.Boolean({ description: 'Another row has the same score.' }),
  previousRank: Nullable(Type.Integer({ minimum: 1 })),
  change: Nullable(Type.Integer({ description: 'previousRank − rank over the previous period of the same length: positive is up.' })),
  indicators: Type.Record(Type.String(), Nullable(Type.Number()), { description: 'The weighted indicators and the counts behind them.' }),
});
export type RankingRow = Static<typeof RankingRowSchema>;

export const StatsRankingsSchema = Shape('StatsRankings', {
  kind: StringEnum(RANKING_KINDS),
  from: DateOnly(),
  to: DateOnly(),
  previousFrom: DateOnly(),
  previousTo: DateOnly(),
  weights: Type.Record(Type.String(), Type.Number(), { description: 'Indicator → weight, as the admin set them.' }),
  items: Type.Array(RankingRowSchema),
});
export type StatsRankings = Static<typeof StatsRankingsSchema>;

export const TopCategoriesSchema = Shape('StatsTopCategories', {
  scope: StatsScopeSchema,
  from: DateOnly(),
  to: DateOnly(),
  items: Type.Array(Closed({ categoryCode: Type.String(), name: Type.String(), count: Count('reported in the period'), share: Rate('of all reported in the scope and period') })),
});
export type TopCategories = Static<typeof TopCategoriesSchema>;

export const RepeatsSchema = Shape('StatsRepeats', {
  scope: StatsScopeSchema,
  from: DateOnly(),
  to: DateOnly(),
  radiusMetres: Type.Number(),
  withinDays: Type.Integer(),
  items: Type.Array(Closed({
    eventId: Type.String({ format: 'uuid' }),
    code: Type.String(),
    categoryCode: Type.String(),
    reportedAt: Type.String({ format: 'date-time' }),
    repeatOfId: Type.String({ format: 'uuid' }),
    repeatOfCode: Type.String(),
    distanceMetres: Type.Number(),
  }), { description: '回头件: an event of the same category reported within radiusMetres and withinDays after an earlier one; only events the caller may see.' }),
});
export type Repeats = Static<typeof RepeatsSchema>;

export const StatsWeightViewSchema = Shape('StatsWeightView', {
  kind: StringEnum(RANKING_KINDS),
  indicator: Type.String(),
  weight: Type.Number({ minimum: 0 }),
});
export type StatsWeightView = Static<typeof StatsWeightViewSchema>;
export const StatsWeightListSchema = Shape('StatsWeightList', { items: Type.Array(StatsWeightViewSchema) });
export type StatsWeightList = Static<typeof StatsWeightListSchema>;

/** Indicators a ranking may weigh, by kind (all "higher is better"; returnRate and wrongDispatchRate enter as 1 − rate). */
export const RANKING_INDICATORS: Record<(typeof RANKING_KINDS)[number], readonly string[]> = {
  township: ['onTimeAcceptRate', 'onTimeSignRate', 'onTimeHandleRate', 'onTimeCloseRate', 'closeRate', 'firstTimeRate', 'returnRate',
    'wrongDispatchRate', 'satisfactionRate'],
  department: ['onTimeSignRate', 'onTimeHandleRate', 'onTimeCloseRate', 'firstTimeRate', 'returnRate', 'satisfactionRate'],
  grid_worker: ['validReportRate', 'selfResolveRate', 'onTimeCloseRate', 'satisfactionRate'],
};
