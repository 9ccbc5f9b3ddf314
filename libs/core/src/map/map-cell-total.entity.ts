import { Check, Column, Entity, PrimaryColumn } from 'typeorm';
import type { EventStatus, Warning } from '#domain';

/**
 * A pyramid of map cells, all days and categories together: events counted per level (2^level cells per degree:
 * cell = floor(coordinate × 2^level); levels CELL_TOTAL_LEVELS of the migration, 6 ≈ 1.6 km and 8 ≈ 400 m in Anji),
 * status, cell, grid and warning. A request at display level L ≤ 8 reads the smallest stored level ≥ L and shifts its
 * cells to L, so it reads about as many rows as the screen shows cells (not one per event); finer display cells read
 * map_cell_category_totals at 1/1024°, where an open event is about one row either way. The grid code stays in the
 * key so a jurisdiction (a code prefix) applies to cells exactly as to regions. Kept by the same trigger as the other
 * map aggregates, one row per level for each event.
 * Key order: level, status (each asked status one descent), then the cell row and column.
 */
@Entity('map_cell_totals')
@Check('map_cell_totals_n_check', `n >= 0`)
// the primary key (in read order) also carries n: INCLUDE (n), written in the migration (@PrimaryColumn has no INCLUDE),
// a known exception of the drift check; reads are index-only scans
export class MapCellTotalEntity {
  @PrimaryColumn('smallint', { primaryKeyConstraintName: 'map_cell_totals_pkey' })
  level: number;

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
