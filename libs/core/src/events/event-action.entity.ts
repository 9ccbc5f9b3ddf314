import { Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ActorRole, EventStatus, Level, TimelineType } from '#domain';
import { UserEntity } from '../auth/user.entity.js';
import { EventEntity } from './event.entity.js';

/** One timeline row (流转记录) of an event: written with every transition, never updated. */
@Entity('event_actions')
@Index('event_actions_event_idx', ['eventId', 'id'])
@Index('event_actions_feed_idx', ['xid', 'id'])
export class EventActionEntity {
  /** bigserial: pg returns it as a string. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'event_actions_pkey' })
  id: string;

  @Column('uuid', { name: 'event_id' })
  @ForeignKey(() => EventEntity, { name: 'event_actions_event_id_fkey' })
  eventId: string;

  @Column('text')
  type: TimelineType;

  @Column('text', { name: 'from_status', nullable: true })
  fromStatus: EventStatus | null;

  @Column('text', { name: 'to_status' })
  toStatus: EventStatus;

  @Column('text', { name: 'from_level', nullable: true })
  fromLevel: Level | null;

  @Column('text', { name: 'to_level' })
  toLevel: Level;

  @Column('uuid', { name: 'actor_id', nullable: true })
  @ForeignKey(() => UserEntity, { name: 'event_actions_actor_id_fkey' })
  actorId: string | null;

  @Column('text', { name: 'actor_role' })
  actorRole: ActorRole;

  @Column('varchar', { name: 'unit_code', length: 40, nullable: true })
  unitCode: string | null;

  @Column('text', { nullable: true })
  note: string | null;

  @Column('jsonb', { default: () => `'{}'` })
  data: Record<string, unknown>;

  @Column('uuid', { name: 'attachment_ids', array: true, default: () => `'{}'` })
  attachmentIds: string[];

  @Column('timestamptz')
  at: Date;

  /**
   * The writing transaction's id (txid_current(): the 64-bit, epoch-extended xid; the xid8 functions would need a cast
   * that TypeORM cannot compare). The change feed (变更流) orders by (xid, id) and reads only
   * transactions older than every one still running, so a change that commits late is never skipped by a reader.
   */
  @Column('bigint', { default: () => 'txid_current()' })
  xid: string;
}
