import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import type { Level } from '#domain';
import { EventEntity } from '../events/event.entity.js';

/**
 * The facts of one event (案件事实) as they happened, for evaluation (考核评价): written with the report (the one extra row
 * of the ingest path) and updated in the transaction of each transition. Where it was (frozen region codes: a later
 * region edit changes no past figure), when it was reported, first accepted, first dispatched and first closed, its
 * overall due time (整体时限) under the rule in force at the report, and the quality counters of DOMAIN §3.5.
 * Never recomputed from today's rules or calendar.
 */
@Entity('event_facts')
@Check('event_facts_resolution_level_check', `resolution_level IN ('village','township','county')`)
@Check('event_facts_dispatch_level_check', `dispatch_level IN ('village','township','county')`)
@Check('event_facts_first_rating_check', `first_rating BETWEEN 1 AND 5`)
@Check('event_facts_last_rating_check', `last_rating BETWEEN 1 AND 5`)
// period reads: by the day a figure is counted on (report, close, rating), the region as a prefix of the grid code
@Index('event_facts_reported_idx', ['reportedAt', 'gridCode'])
@Index('event_facts_closed_idx', ['closedAt', 'gridCode'], { where: 'closed_at IS NOT NULL' })
@Index('event_facts_rated_idx', ['firstRatedAt'], { where: 'first_rated_at IS NOT NULL' })
@Index('event_facts_reporter_idx', ['reporterId', 'reportedAt'], { where: 'reporter_id IS NOT NULL' })
// a unit's figures: only the cases a unit has handled (a report has none yet, and need not write this index)
@Index('event_facts_units_idx', ['handlerUnitCodes'], { type: 'gin', where: `handler_unit_codes <> '{}'` })
// a past period's corrections of the rollup (stats_daily): the reports whose close, void or merge came after its end
@Index('event_facts_span_idx', ['span'], { spatial: true, where: 'span IS NOT NULL' })
export class EventFactEntity {
  @PrimaryColumn('uuid', { name: 'event_id', primaryKeyConstraintName: 'event_facts_pkey' })
  @ForeignKey(() => EventEntity, { name: 'event_facts_event_id_fkey', onDelete: 'CASCADE' })
  eventId: string;

  @Column('varchar', { name: 'grid_code', length: 18 })
  gridCode: string;

  @Column('varchar', { name: 'category_code', length: 4 })
  categoryCode: string;

  @Column('text')
  urgency: string;

  @Column('text')
  source: string;

  @Column('uuid', { name: 'reporter_id', nullable: true })
  reporterId: string | null;

  /** 自行处置: reported as solved on the spot. */
  @Column('boolean', { name: 'self_resolved', default: false })
  selfResolved: boolean;

  @Column('timestamptz', { name: 'reported_at' })
  reportedAt: Date;

  /** 整体时限: the due time of the whole case under the rule in force at the report (null: the rule has none). */
  @Column('timestamptz', { name: 'overall_due_at', nullable: true })
  overallDueAt: Date | null;

  @Column('timestamptz', { name: 'accepted_at', nullable: true })
  acceptedAt: Date | null;

  @Column('timestamptz', { name: 'dispatched_at', nullable: true })
  dispatchedAt: Date | null;

  /** First close (结案); a 重办 closing again keeps it. */
  @Column('timestamptz', { name: 'closed_at', nullable: true })
  closedAt: Date | null;

  @Column('boolean', { name: 'closed_on_time', nullable: true })
  closedOnTime: boolean | null;

  /** Level at which the case was first closed: village (小事不出村), township (大事不出镇), county. */
  @Column('text', { name: 'resolution_level', nullable: true })
  resolutionLevel: Level | null;

  /** The unit that held the case (lead handler) when it was first closed; null when closed without a dispatch. */
  @Column('varchar', { name: 'close_unit_code', length: 40, nullable: true })
  closeUnitCode: string | null;

  @Column('timestamptz', { name: 'voided_at', nullable: true })
  voidedAt: Date | null;

  @Column('timestamptz', { name: 'merged_at', nullable: true })
  mergedAt: Date | null;

  /** Every unit dispatched to (lead or 协办), in order, no duplicates: 错误派遣 counts additions after the first dispatch. */
  @Column('text', { name: 'handler_unit_codes', array: true, default: () => `'{}'` })
  handlerUnitCodes: string[];

  /** Level of the last dispatch: a unit added at the same level counts as 错误派遣, a dispatch after 提级 does not. */
  @Column('text', { name: 'dispatch_level', nullable: true })
  dispatchLevel: Level | null;

  @Column('int', { name: 'rework_count', default: 0 })
  reworkCount: number;

  @Column('int', { name: 'wrong_dispatch_count', default: 0 })
  wrongDispatchCount: number;

  @Column('int', { name: 'return_count', default: 0 })
  returnCount: number;

  /** 推诿: every 退回 after the first one. */
  @Column('int', { name: 'buck_passing_count', default: 0 })
  buckPassingCount: number;

  @Column('int', { name: 'extension_count', default: 0 })
  extensionCount: number;

  @Column('int', { name: 'suspend_count', default: 0 })
  suspendCount: number;

  /** 挂账时长: natural minutes spent suspended. */
  @Column('numeric', { name: 'suspended_minutes', default: 0 })
  suspendedMinutes: string;

  @Column('int', { name: 'escalate_count', default: 0 })
  escalateCount: number;

  @Column('int', { name: 'urge_count', default: 0 })
  urgeCount: number;

  @Column('timestamptz', { name: 'supervised_at', nullable: true })
  supervisedAt: Date | null;

  /** 处置 stages that ended after their due time (按期结案 without an overall limit means none). */
  @Column('int', { name: 'late_handle_count', default: 0 })
  lateHandleCount: number;

  /** The first 回访 rating (1–5), never lost when the case is reopened (重办) and closed again. */
  @Column('smallint', { name: 'first_rating', nullable: true })
  firstRating: number | null;

  @Column('timestamptz', { name: 'first_rated_at', nullable: true })
  firstRatedAt: Date | null;

  @Column('smallint', { name: 'last_rating', nullable: true })
  lastRating: number | null;

  /** The running stage's due time when it started (before any 延期): the base of the extension cap. */
  @Column('timestamptz', { name: 'stage_base_due_at', nullable: true })
  stageBaseDueAt: Date | null;

  /** Pauses (挂起) within the running stage, working and natural minutes; reset when a stage ends. */
  @Column('numeric', { name: 'stage_pause_working_minutes', default: 0 })
  stagePauseWorkingMinutes: string;

  @Column('numeric', { name: 'stage_pause_minutes', default: 0 })
  stagePauseMinutes: string;

  /**
   * [reported_at, the latest of closed_at, voided_at, merged_at] once one of them is set (null before): the reports
   * alive at an instant (span @> instant), for the rollup's end-of-period corrections (StatsService).
   */
  @Column('tstzrange', { nullable: true })
  span: string | null;
}
