import { Check, Column, Entity, PrimaryColumn } from 'typeorm';
import type { EventStatus, Warning } from '#domain';

/**
 * Events counted per coarse map cell (1/128°: cell = floor(coordinate × 128), ≈ 0.77 × 0.87 km in Anji), grid,
 * status and warning, all days and categories together: the unfiltered heatmap at county and township zooms, where
 * map_cell_counts would hold about one row per event in view. Kept by the same trigger as the other map aggregates.
 */
@Entity('map_cell_totals')
@Check('map_cell_totals_n_check', `n >= 0`)
export class MapCellTotalEntity {
  @PrimaryColumn('text', { primaryKeyConstraintName: 'map_cell_totals_pkey' })
  status: EventStatus;

  @PrimaryColumn('int', { name: 'cell_y', primaryKeyConstraintName: 'map_cell_totals_pkey' })
  cellY: number;

  @PrimaryColumn('int', { name: 'cell_x', primaryKeyConstraintName: 'map_cell_totals_pkey' })
  cellX: number;

  @PrimaryColumn('varchar', { name: 'region_code', length: 18, primaryKeyConstraintName: 'map_cell_totals_pkey' })
  regionCode: string;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'map_cell_totals_pkey' })
  warning: Warning;

  @Column('int')
  n: number;
}
