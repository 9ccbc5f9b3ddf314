import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn, Unique } from 'typeorm';
import type { Complexity, EventStatus, Level, Stage, TimeBasis, Warning } from '#domain';
import { UserEntity } from '../auth/user.entity.js';
import { CategoryEntity } from '../categories/category.entity.js';
import { RegionEntity } from '../regions/region.entity.js';
import { UnitEntity } from '../units/unit.entity.js';
import type { EventSource, Urgency } from './event.model.js';


/** GeoJSON as TypeORM reads a point column (the repositories select ST_X/ST_Y themselves). */
export interface GeoJsonPoint { type: 'Point'; coordinates: [number, number] }

/**
 * An event (事件/案件): where it is, who owns it, where it stands in the workflow (事件流转) and its SLA marks.
 * `code` comes from the sequence event_code_seq (a known exception, see database/schema-drift.ts).
 */
@Entity('events')
@Unique('events_code_key', ['code'])
@Check('events_urgency_check', `urgency IN ('normal','urgent')`)
@Check('events_complexity_check', `complexity IN ('ordinary','complex')`)
@Check('events_source_check', `source IN ('grid','hotline12345','zlb','province','open311','staff')`)
@Check('events_status_check',
  `status IN ('reported','accepted','dispatched','handling','handled','closed','rejected','merged','suspended')`)
@Check('events_level_check', `level IN ('village','township','county')`)
@Check('events_warning_check', `warning IN ('none','yellow','red')`)
@Check('events_sla_basis_check', `sla_basis IN ('working','natural')`)
// (region_code text_pattern_ops, created_at DESC, id DESC): keyset paging within a jurisdiction prefix;
// a known exception, see database/schema-drift.ts
@Index('events_region_idx', { synchronize: false })
@Index('events_involved_idx', ['involvedUnitCodes'], { type: 'gin' })
@Index('events_sla_next_idx', ['slaNextAt', 'id'], { where: 'sla_next_at IS NOT NULL' })
@Index('events_updated_idx', ['updatedAt'])
// a grid worker sees its own reports anywhere (visibility): without this the OR in its reads scans the table
@Index('events_reporter_idx', ['reporterId'], { where: 'reporter_id IS NOT NULL' })
// the duplicates of a master (every event view lists them)
@Index('events_merged_into_idx', ['mergedIntoId'], { where: 'merged_into_id IS NOT NULL' })
// the living demo's open events (its step reads them; empty outside a demo)
@Index('events_demo_open_idx', ['status'], { where: `demo AND status NOT IN ('closed','rejected','merged')` })
@Index('events_open_location_idx', ['location'], { spatial: true, where: `status NOT IN ('closed','rejected','merged')` })
export class EventEntity {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'events_pkey' })
  id: string;

  @Column('varchar', { length: 24 })
  code: string;

  @Column('varchar', { name: 'category_code', length: 4 })
  @ForeignKey(() => CategoryEntity, { name: 'events_category_code_fkey' })
  categoryCode: string;

  @Column('text')
  description: string;

  @Column('text', { nullable: true })
  address: string | null;

  @Column('text')
  urgency: Urgency;

  /** 复杂程度 (一般 / 复杂), set on 受理; with urgency and category it picks the time limits. */
  @Column('text', { default: 'ordinary' })
  complexity: Complexity;

  @Column('text')
  source: EventSource;

  @Column('geometry', { spatialFeatureType: 'Point', srid: 4326 })
  location: GeoJsonPoint;

  /** The grid the point fell in (= gridCode); its prefixes are the village, township and county. */
  @Column('varchar', { name: 'region_code', length: 18 })
  @ForeignKey(() => RegionEntity, { name: 'events_region_code_fkey' })
  regionCode: string;

  @Column('varchar', { name: 'grid_code', length: 18 })
  gridCode: string;

  @Column('varchar', { name: 'village_code', length: 18 })
  villageCode: string;

  @Column('varchar', { name: 'township_code', length: 18 })
  townshipCode: string;

  @Column('varchar', { name: 'county_code', length: 18 })
  countyCode: string;

  @Column('text')
  status: EventStatus;

  @Column('text')
  level: Level;

  @Column('text', { default: 'none' })
  warning: Warning;

  @Column('varchar', { name: 'owner_unit_code', length: 40 })
  @ForeignKey(() => UnitEntity, { name: 'events_owner_unit_code_fkey' })
  ownerUnitCode: string;

  @Column('varchar', { name: 'centre_unit_code', length: 40 })
  @ForeignKey(() => UnitEntity, { name: 'events_centre_unit_code_fkey' })
  centreUnitCode: string;

  @Column('varchar', { name: 'handler_unit_code', length: 40, nullable: true })
  @ForeignKey(() => UnitEntity, { name: 'events_handler_unit_code_fkey' })
  handlerUnitCode: string | null;

  @Column('varchar', { name: 'suggested_unit_code', length: 40, nullable: true })
  @ForeignKey(() => UnitEntity, { name: 'events_suggested_unit_code_fkey' })
  suggestedUnitCode: string | null;

  @Column('text', { name: 'support_unit_codes', array: true, default: () => `'{}'` })
  supportUnitCodes: string[];

  /** Every unit that has held the event: it stays visible to them (GIN index for `= ANY`). */
  @Column('text', { name: 'involved_unit_codes', array: true, default: () => `'{}'` })
  involvedUnitCodes: string[];

  @Column('uuid', { name: 'assignee_id', nullable: true })
  @ForeignKey(() => UserEntity, { name: 'events_assignee_id_fkey' })
  assigneeId: string | null;

  @Column('uuid', { name: 'reporter_id', nullable: true })
  @ForeignKey(() => UserEntity, { name: 'events_reporter_id_fkey' })
  reporterId: string | null;

  @Column('text', { name: 'suspended_from_status', nullable: true })
  suspendedFromStatus: EventStatus | null;

  @Column('timestamptz', { name: 'extension_requested_until', nullable: true })
  extensionRequestedUntil: Date | null;

  @Column('timestamptz', { name: 'extended_until', nullable: true })
  extendedUntil: Date | null;

  @Column('uuid', { name: 'merged_into_id', nullable: true })
  @ForeignKey(() => EventEntity, { name: 'events_merged_into_id_fkey' })
  mergedIntoId: string | null;

  @Column('int', { name: 'urge_count', default: 0 })
  urgeCount: number;

  @Column('boolean', { default: false })
  supervised: boolean;

  @Column('int', { name: 'rework_count', default: 0 })
  reworkCount: number;

  @Column('int', { name: 'return_count', default: 0 })
  returnCount: number;

  @Column('smallint', { nullable: true })
  rating: number | null;

  @Column('boolean', { name: 'resolved_on_site', default: false })
  resolvedOnSite: boolean;

  /** Filed by the demo generator (演示数据): shown as such, and removable in one statement. */
  @Column('boolean', { default: false })
  demo: boolean;

  @Column('uuid', { name: 'attachment_ids', array: true, default: () => `'{}'` })
  attachmentIds: string[];

  @Column('text', { nullable: true })
  stage: Stage | null;

  @Column('timestamptz', { name: 'stage_started_at', nullable: true })
  stageStartedAt: Date | null;

  @Column('timestamptz', { name: 'stage_due_at', nullable: true })
  stageDueAt: Date | null;

  @Column('timestamptz', { name: 'stage_yellow_at', nullable: true })
  stageYellowAt: Date | null;

  @Column('timestamptz', { name: 'stage_escalate_at', nullable: true })
  stageEscalateAt: Date | null;

  @Column('timestamptz', { name: 'stage_paused_at', nullable: true })
  stagePausedAt: Date | null;

  @Column('text', { name: 'sla_basis', nullable: true })
  slaBasis: TimeBasis | null;

  /** The next SLA mark to fire (yellow, due or escalate), for the sweeper. */
  @Column('timestamptz', { name: 'sla_next_at', nullable: true })
  slaNextAt: Date | null;

  /** Optimistic lock: every transition is UPDATE … WHERE version = $n. */
  @Column('int', { default: 1 })
  version: number;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt: Date;

  @Column('timestamptz', { name: 'closed_at', nullable: true })
  closedAt: Date | null;
}
