import { Check, Column, Entity, PrimaryColumn } from 'typeorm';
import type { EventStatus, Warning } from '#domain';

/**
 * Events counted per grid, status and warning, all days and categories together: what an unfiltered map answer
 * (the default view) rolls up. map_region_counts has a row per grid × day × category × status × warning, which at
 * county scale is close to one row per open event; this table has at most grids × 9 × 3 rows. Kept by the same
 * trigger (map_count_event), in the same transaction, with the same lock order.
 */
@Entity('map_region_totals')
@Check('map_region_totals_n_check', `n >= 0`)
export class MapRegionTotalEntity {
  @PrimaryColumn('text', { primaryKeyConstraintName: 'map_region_totals_pkey' })
  status: EventStatus;

  @PrimaryColumn('varchar', { name: 'region_code', length: 18, primaryKeyConstraintName: 'map_region_totals_pkey' })
  regionCode: string;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'map_region_totals_pkey' })
  warning: Warning;

  @Column('int')
  n: number;
}
