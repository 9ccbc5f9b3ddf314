import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { UserEntity } from '../auth/user.entity.js';
import { EventEntity } from '../events/event.entity.js';

/**
 * A 浙政钉 to-do (待办) of one person on one case (issue 10): opened by the gateway router when the case comes to their unit
 * (派遣, 超时, 督办), finished when the unit signs or the case leaves it. The router writes and finishes rows in the
 * transaction that writes the deliveries, so the table and the deliveries agree; the deliverer records what 浙政钉 answered
 * (the taskUuid of the create, which the finish needs). At most one open to-do per person and case.
 */
@Entity('zwdd_todos')
@Index('zwdd_todos_biz_task_id_key', ['bizTaskId'], { unique: true })
@Index('zwdd_todos_open_key', ['eventId', 'userId'], { unique: true, where: `state = 'open'` })
@Index('zwdd_todos_user_idx', ['userId', 'state'])
@Check('zwdd_todos_state_check', `state IN ('open', 'finished')`)
@Check('zwdd_todos_reason_check', `reason IN ('dispatch', 'assist', 'overdue', 'supervise')`)
export class ZwddTodoEntity {
  /** bigserial: pg returns it as a string. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'zwdd_todos_pkey' })
  id: string;

  /** Our id of the to-do in 浙政钉 (bizTaskId) = the message id of the delivery that creates it. */
  @Column('text', { name: 'biz_task_id' })
  bizTaskId: string;

  @Column('uuid', { name: 'event_id' })
  @ForeignKey(() => EventEntity, { name: 'zwdd_todos_event_id_fkey' })
  eventId: string;

  /** The unit the case came to (no foreign key: a retired unit's finished to-dos stay as history). */
  @Column('varchar', { name: 'unit_code', length: 40 })
  unitCode: string;

  @Column('uuid', { name: 'user_id' })
  @ForeignKey(() => UserEntity, { name: 'zwdd_todos_user_id_fkey' })
  userId: string;

  /** The 浙政钉 account the to-do was assigned to (the user's zwdd_account_id then: the finish goes to the same one). */
  @Column('varchar', { name: 'account_id', length: 64 })
  accountId: string;

  /** dispatch 待签收 (lead unit), assist 协办 (supporting unit), overdue 超时 (红牌 / 自动上报), supervise 督办. */
  @Column('text')
  reason: 'dispatch' | 'assist' | 'overdue' | 'supervise';

  /** open: the case is with the unit; finished: the router wrote its finish (the unit signed, or the case left it). */
  @Column('text', { default: 'open' })
  state: 'open' | 'finished';

  /** The timeline rows (event_actions.id) that opened and finished it. */
  @Column('bigint', { name: 'opened_action_id' })
  openedActionId: string;

  @Column('bigint', { name: 'finished_action_id', nullable: true })
  finishedActionId: string | null;

  /** What 浙政钉 answered to the create; null until then (and for good when the create was skipped). */
  @Column('text', { name: 'task_uuid', nullable: true })
  taskUuid: string | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  /** When 浙政钉 took the create, and the finish. */
  @Column('timestamptz', { name: 'zwdd_created_at', nullable: true })
  zwddCreatedAt: Date | null;

  @Column('timestamptz', { name: 'zwdd_finished_at', nullable: true })
  zwddFinishedAt: Date | null;
}
