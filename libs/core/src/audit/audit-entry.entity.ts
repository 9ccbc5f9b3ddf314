import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** An audit log line (审计日志): logins, permission denials, exports. No FK on the actor: the log outlives users. */
@Entity('audit_log')
@Index('audit_log_at_idx', ['at'])
export class AuditEntryEntity {
  /** bigserial: pg returns it as a string. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'audit_log_pkey' })
  id: string;

  @Column('timestamptz', { default: () => 'now()' })
  at: Date;

  @Column('uuid', { name: 'actor_id', nullable: true })
  actorId: string | null;

  @Column('text', { nullable: true })
  username: string | null;

  @Column('text')
  action: string;

  @Column('text', { nullable: true })
  target: string | null;

  @Column('text')
  outcome: 'ok' | 'denied' | 'failed';

  @Column('text', { nullable: true })
  ip: string | null;

  @Column('jsonb', { default: () => `'{}'` })
  detail: Record<string, unknown>;
}
