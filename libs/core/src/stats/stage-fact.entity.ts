import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { Level, Stage, TimeBasis, Warning } from '#domain';
import { EventEntity } from '../events/event.entity.js';

/**
 * One ended SLA stage (环节: 受理, 派遣, 签收, 处置, 核查), written in the transaction of the transition that ended it:
 * its start, its due instant under the rule then in force (shifted by 挂起 and 延期 as they happened), its end, whether it
 * was on time, the working minutes it took (pauses left out), its limit and the warning it reached (colour). The
 * timeline row that ended it is `action_id`. Never updated.
 */
@Entity('stage_facts')
@Check('stage_facts_stage_check', `stage IN ('accept','dispatch','sign','handle','verify')`)
@Check('stage_facts_warning_check', `warning IN ('none','yellow','red')`)
@Index('stage_facts_ended_idx', ['stage', 'endedAt', 'gridCode'])
@Index('stage_facts_unit_idx', ['unitCode', 'stage', 'endedAt'])
@Index('stage_facts_event_idx', ['eventId'])
@Index('stage_facts_action_idx', ['actionId'])
export class StageFactEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'stage_facts_pkey' })
  id: string;

  @Column('uuid', { name: 'event_id' })
  @ForeignKey(() => EventEntity, { name: 'stage_facts_event_id_fkey', onDelete: 'CASCADE' })
  eventId: string;

  /** The timeline row (event_actions.id) of the transition that ended the stage. */
  @Column('bigint', { name: 'action_id' })
  actionId: string;

  @Column('text')
  stage: Stage;

  /** The action that ended it (accept, dispatch, sign, feedback, verify, return, escalate, reject, …). */
  @Column('text', { name: 'ended_by' })
  endedBy: string;

  /** The unit that owned the stage (had to act). */
  @Column('varchar', { name: 'unit_code', length: 40 })
  unitCode: string;

  @Column('text')
  level: Level;

  @Column('varchar', { name: 'grid_code', length: 18 })
  gridCode: string;

  @Column('varchar', { name: 'category_code', length: 4 })
  categoryCode: string;

  @Column('timestamptz', { name: 'started_at' })
  startedAt: Date;

  @Column('timestamptz', { name: 'due_at', nullable: true })
  dueAt: Date | null;

  @Column('timestamptz', { name: 'ended_at' })
  endedAt: Date;

  @Column('text', { nullable: true })
  basis: TimeBasis | null;

  /** The stage limit in minutes of `basis` (null: no rule applied). */
  @Column('numeric', { name: 'limit_minutes', nullable: true })
  limitMinutes: string | null;

  /** ended_at <= due_at; null when no limit applied. */
  @Column('boolean', { name: 'on_time', nullable: true })
  onTime: boolean | null;

  /** Working minutes from start to end on the calendar in force then, time suspended (挂起) left out. */
  @Column('numeric', { name: 'working_minutes' })
  workingMinutes: string;

  /** The warning the stage reached (none, yellow 黄牌, red 红牌): the timeline row's colour. */
  @Column('text')
  warning: Warning;
}
