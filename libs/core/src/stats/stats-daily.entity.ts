import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The evaluation rollup (考核汇总): the recorded facts counted per Asia/Shanghai day and township (of the frozen grid code
 * of the report: a later region edit changes no past figure), each figure on the day it happened — reported on the report day, accepted on the
 * first accept's day, closed on the first close's day, rated on the first rating's day, a stage on the day it ended.
 * Kept in the statement that writes the facts (EventsRepository: the report's one upsert, a transition's delta), so
 * it never disagrees with event_facts / stage_facts. A key's counters may fall back to zero; its row then stays.
 * `reported_closed` and `reported_voided` count on the report day the reports closed / voided or merged at any time
 * since: a past period subtracts those that happened after its end (the event_facts.span index finds them).
 */
@Entity('stats_daily')
export class StatsDailyEntity {
  @PrimaryColumn('date', { primaryKeyConstraintName: 'stats_daily_pkey' })
  day: string;

  /** The township of the frozen grid code (its first 9 digits); the county is every township. */
  @PrimaryColumn('varchar', { name: 'township_code', length: 9, primaryKeyConstraintName: 'stats_daily_pkey' })
  townshipCode: string;

  /** One of eight rows per day and township (ROLLUP_SLOT of the event id), so concurrent reports do not queue on one row lock; readers sum. */
  @PrimaryColumn('smallint', { default: 0, primaryKeyConstraintName: 'stats_daily_pkey' })
  slot: number;

  @Column('int', { default: 0 }) reported: number;
  @Column('int', { name: 'self_resolved', default: 0 }) selfResolved: number;
  @Column('int', { name: 'reported_closed', default: 0 }) reportedClosed: number;
  @Column('int', { name: 'reported_voided', default: 0 }) reportedVoided: number;
  @Column('int', { default: 0 }) accepted: number;
  @Column('int', { default: 0 }) dispatched: number;
  @Column('int', { default: 0 }) closed: number;
  @Column('int', { name: 'closed_on_time', default: 0 }) closedOnTime: number;
  @Column('int', { name: 'first_time', default: 0 }) firstTime: number;
  @Column('int', { name: 'closed_dispatched', default: 0 }) closedDispatched: number;
  @Column('int', { default: 0 }) returned: number;
  @Column('int', { default: 0 }) wrong: number;
  @Column('int', { name: 'level_village', default: 0 }) levelVillage: number;
  @Column('int', { name: 'level_township', default: 0 }) levelTownship: number;
  @Column('int', { name: 'level_county', default: 0 }) levelCounty: number;
  @Column('int', { default: 0 }) rated: number;
  @Column('int', { default: 0 }) satisfied: number;
  @Column('int', { name: 'accept_due', default: 0 }) acceptDue: number;
  @Column('int', { name: 'accept_on_time', default: 0 }) acceptOnTime: number;
  @Column('int', { name: 'sign_due', default: 0 }) signDue: number;
  @Column('int', { name: 'sign_on_time', default: 0 }) signOnTime: number;
  @Column('int', { name: 'handle_due', default: 0 }) handleDue: number;
  @Column('int', { name: 'handle_on_time', default: 0 }) handleOnTime: number;
  @Column('int', { name: 'handle_count', default: 0 }) handleCount: number;
  @Column('numeric', { name: 'handle_minutes', default: 0 }) handleMinutes: string;
}
