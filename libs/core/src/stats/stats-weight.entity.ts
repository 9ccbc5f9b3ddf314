import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A weight of an indicator in a 晾晒 ranking's composite score (like the 平安指数): data an admin edits. The score of a
 * row is Σ weight × indicator over the indicators it has (a rate of an empty denominator is left out and the weights
 * present are scaled to sum to 1), times 100.
 */
@Entity('stats_weights')
@Check('stats_weights_kind_check', `kind IN ('township','department','grid_worker')`)
@Check('stats_weights_weight_check', `weight >= 0`)
export class StatsWeightEntity {
  @PrimaryColumn('text', { primaryKeyConstraintName: 'stats_weights_pkey' })
  kind: string;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'stats_weights_pkey' })
  indicator: string;

  @Column('numeric')
  weight: string;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt: Date;
}
