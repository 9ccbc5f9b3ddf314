import { Check, Column, Entity, PrimaryColumn } from 'typeorm';
import type { EventStatus, Warning } from '#domain';

/**
 * Events counted per grid, status and warning, all days and categories together: what an unfiltered region answer
 * (the default view) rolls up, at most grids × 9 × 3 rows. Kept by the trigger map_count_event (migration
 * MapAggregates) in the transaction of the change it counts; a key whose count falls to zero is deleted in the same
 * firing. Read through its primary key (status = ANY, then a code prefix range): the table is small. Region bubbles
 * with a category or a time window are summed from map_cell_category_totals or map_cell_counts (grid code in their keys).
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
