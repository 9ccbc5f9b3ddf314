import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { Complexity, TimeBasis } from '#domain';
import { CategoryEntity } from '../categories/category.entity.js';

/**
 * An SLA rule (时限规则): minutes per stage for a category, urgency and complexity tier; a null category is the county default.
 * numeric columns arrive from pg as strings: readers cast them in SQL (::float8).
 */
@Entity('sla_rules')
@Check('sla_rules_urgency_check', `urgency IN ('normal','urgent')`)
@Check('sla_rules_complexity_check', `complexity IN ('ordinary','complex')`)
@Check('sla_rules_basis_check', `basis IN ('working','natural')`)
@Check('sla_rules_accept_minutes_check', `accept_minutes > 0`)
@Check('sla_rules_sign_minutes_check', `sign_minutes > 0`)
@Check('sla_rules_handle_minutes_check', `handle_minutes > 0`)
@Check('sla_rules_verify_minutes_check', `verify_minutes > 0`)
@Check('sla_rules_yellow_ratio_check', `yellow_ratio > 0 AND yellow_ratio < 1`)
@Check('sla_rules_escalate_grace_minutes_check', `escalate_grace_minutes >= 0`)
@Check('sla_rules_dispatch_minutes_check', `dispatch_minutes > 0`)
@Check('sla_rules_overall_minutes_check', `overall_minutes > 0`)
@Check('sla_rules_supervise_after_minutes_check', `supervise_after_minutes >= 0`)
@Check('sla_rules_max_extension_days_check', `max_extension_days >= 0`)
// one rule per (category or default, urgency, complexity): a unique expression index on coalesce(category_code, '*'),
// a known exception, see database/schema-drift.ts
@Index('sla_rules_scope_idx', { synchronize: false })
export class SlaRuleEntity {
  @PrimaryGeneratedColumn('increment', { type: 'int', primaryKeyConstraintName: 'sla_rules_pkey' })
  id: number;

  @Column('varchar', { name: 'category_code', length: 4, nullable: true })
  @ForeignKey(() => CategoryEntity, { name: 'sla_rules_category_code_fkey' })
  categoryCode: string | null;

  @Column('text')
  urgency: 'normal' | 'urgent';

  /** 复杂程度 the rule is for (一般 / 复杂); a tier without a rule falls back to the 一般 rule of the same scope. */
  @Column('text', { default: 'ordinary' })
  complexity: Complexity;

  @Column('text')
  basis: TimeBasis;

  @Column('numeric', { name: 'accept_minutes' })
  acceptMinutes: string;

  /** 派遣 limit; null: the same as the 受理 limit. */
  @Column('numeric', { name: 'dispatch_minutes', nullable: true })
  dispatchMinutes: string | null;

  @Column('numeric', { name: 'sign_minutes' })
  signMinutes: string;

  @Column('numeric', { name: 'handle_minutes' })
  handleMinutes: string;

  @Column('numeric', { name: 'verify_minutes' })
  verifyMinutes: string;

  @Column('numeric', { name: 'yellow_ratio', default: () => '0.8' })
  yellowRatio: string;

  @Column('numeric', { name: 'escalate_grace_minutes', default: 0 })
  escalateGraceMinutes: string;

  /** 整体时限: the whole case, report to close, in minutes of `basis` (null: none; 按期结案 then means no late 处置). */
  @Column('numeric', { name: 'overall_minutes', nullable: true })
  overallMinutes: string | null;

  /** Red for longer than this (natural minutes after the due time; default 5 days) → automatic 督办; null: never. */
  @Column('numeric', { name: 'supervise_after_minutes', nullable: true, default: 7200 })
  superviseAfterMinutes: string | null;

  /** 延期: at most this many natural days in all beyond a stage's original due time. */
  @Column('int', { name: 'max_extension_days', default: 20 })
  maxExtensionDays: number;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt: Date;
}
