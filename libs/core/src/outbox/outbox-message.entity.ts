import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A message written in the same transaction as the change it announces; the worker relays it to Redis. */
@Entity('outbox')
@Index('outbox_pending_idx', ['id'], { where: 'published_at IS NULL' })
export class OutboxMessageEntity {
  /** bigserial: pg returns it as a string. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'outbox_pkey' })
  id: string;

  @Column('text')
  topic: string;

  @Column('uuid', { name: 'aggregate_id' })
  aggregateId: string;

  @Column('jsonb')
  payload: Record<string, unknown>;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column('timestamptz', { name: 'published_at', nullable: true })
  publishedAt: Date | null;

  @Column('int', { default: 0 })
  attempts: number;
}
