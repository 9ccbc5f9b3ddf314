import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { EventEntity } from '../events/event.entity.js';

/** What a delivery is: which gateway call it becomes (issue 10). */
export const GATEWAY_DELIVERY_KINDS = ['province_event', 'zwdd_notice', 'zwdd_todo', 'zwdd_todo_done', 'hotline_sign', 'hotline_reply',
  'hotline_return', 'hotline_delay'] as const;
export type GatewayDeliveryKind = (typeof GATEWAY_DELIVERY_KINDS)[number];

/**
 * pending: to be delivered (at `next_attempt_at`); done: the gateway took it; dead: refused, or transient failures outlasted
 * every round — waits for an administrator (replay or skip), and holds back the later deliveries of its event;
 * skipped: the gateway is not configured (or an administrator skipped it): never sent, blocks nothing.
 */
export const GATEWAY_DELIVERY_STATES = ['pending', 'done', 'dead', 'skipped'] as const;
export type GatewayDeliveryState = (typeof GATEWAY_DELIVERY_STATES)[number];

/**
 * One message to a provincial gateway (省级网关), implied by one timeline row (流转记录) of an event. Written by the worker's
 * router in the transaction that advances its cursor over the timeline, so a change is turned into deliveries exactly once;
 * delivered at least once by the deliverer, one at a time per event in id order. `message_id` is derived from the timeline
 * row, never from an attempt: the receiving side applies a redelivery once.
 */
@Entity('gateway_deliveries')
@Index('gateway_deliveries_message_id_key', ['messageId'], { unique: true })
@Index('gateway_deliveries_event_idx', ['eventId', 'id'])
@Index('gateway_deliveries_pending_idx', ['id'], { where: `state = 'pending'` })
// head of line: an event's unsettled deliveries, probed once per claimed candidate (one small index, whatever the
// statistics say: with a stale estimate the planner AND-ed the whole state index into every probe, 0.6 s per claim)
@Index('gateway_deliveries_unsettled_idx', ['eventId', 'id'], { where: `state IN ('pending', 'dead')` })
@Index('gateway_deliveries_state_idx', ['state', 'id'])
@Check('gateway_deliveries_state_check', `state IN ('pending', 'done', 'dead', 'skipped')`)
export class GatewayDeliveryEntity {
  /** bigserial: pg returns it as a string. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'gateway_deliveries_pkey' })
  id: string;

  @Column('uuid', { name: 'event_id' })
  @ForeignKey(() => EventEntity, { name: 'gateway_deliveries_event_id_fkey' })
  eventId: string;

  /** The timeline row (event_actions.id) this delivery announces. */
  @Column('bigint', { name: 'action_id' })
  actionId: string;

  @Column('text')
  kind: GatewayDeliveryKind;

  @Column('text', { name: 'message_id' })
  messageId: string;

  /** The message in our names (what the client method takes; dates as ISO strings). */
  @Column('jsonb')
  payload: Record<string, unknown>;

  @Column('text', { default: 'pending' })
  state: GatewayDeliveryState;

  /** Rounds begun (each round is one client call with its own retries). */
  @Column('int', { default: 0 })
  attempts: number;

  /** When a pending row may be taken next: a retry's backoff, or the lease of the worker delivering it now. */
  @Column('timestamptz', { name: 'next_attempt_at', default: () => 'now()' })
  nextAttemptAt: Date;

  @Column('text', { name: 'last_error', nullable: true })
  lastError: string | null;

  @Column('int', { name: 'last_status', nullable: true })
  lastStatus: number | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column('timestamptz', { name: 'done_at', nullable: true })
  doneAt: Date | null;
}

/**
 * Where the router is in the timeline: the change-feed position (writing transaction id, timeline row id) of the last
 * row it turned into deliveries. One row per router (`name`).
 */
@Entity('gateway_relay_cursor')
export class GatewayRelayCursorEntity {
  @PrimaryColumn('text', { primaryKeyConstraintName: 'gateway_relay_cursor_pkey' })
  name: string;

  @Column('bigint')
  xid: string;

  @Column('bigint', { name: 'action_id' })
  actionId: string;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt: Date;
}
