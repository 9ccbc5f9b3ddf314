import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { EventEntity } from '../events/event.entity.js';

/**
 * A 12345 work order (工单) pushed down by the provincial hotline, one per event it became (issue 10): the order number
 * (unique — a pushed-twice order is one event), the appeal type, the caller's contact encrypted at rest (PiiCipher,
 * fields 'name' and 'phone'; never returned unmasked), the order's own limits, the mapped order without the contact,
 * and the 回访 rating when it comes down. Written in the transaction that writes the event (EventsService.report's
 * attach). The upward relay reads this table by these column names.
 */
@Entity('hotline_orders')
@Index('hotline_orders_order_no_key', ['orderNo'], { unique: true })
export class HotlineOrderEntity {
  @PrimaryColumn('uuid', { name: 'event_id', primaryKeyConstraintName: 'hotline_orders_pkey' })
  @ForeignKey(() => EventEntity, { name: 'hotline_orders_event_id_fkey' })
  eventId: string;

  @Column('varchar', { name: 'order_no', length: 64 })
  orderNo: string;

  /** 咨询/求助/投诉/举报/建议… as the order gives it. */
  @Column('text', { name: 'appeal_type' })
  appealType: string;

  @Column('bytea', { name: 'caller_name_enc', nullable: true })
  callerNameEnc: Buffer | null;

  @Column('bytea', { name: 'caller_phone_enc', nullable: true })
  callerPhoneEnc: Buffer | null;

  /** 签收时限 / 办理时限 of the order itself (the province's clock, next to our own SLA). */
  @Column('timestamptz', { name: 'sign_due_at', nullable: true })
  signDueAt: Date | null;

  @Column('timestamptz', { name: 'handle_due_at', nullable: true })
  handleDueAt: Date | null;

  @Column('timestamptz', { name: 'received_at' })
  receivedAt: Date;

  /** The mapped order (our names, DOMAIN 4.4) without the caller's name and phone. */
  @Column('jsonb')
  fields: Record<string, unknown>;

  /** The 回访 score (满意 5, 基本满意 3, 不满意 1) once it came down. */
  @Column('smallint', { name: 'visit_rating', nullable: true })
  visitRating: number | null;

  @Column('timestamptz', { name: 'visited_at', nullable: true })
  visitedAt: Date | null;
}
