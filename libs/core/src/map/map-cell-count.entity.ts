import { Check, Column, Entity, PrimaryColumn } from 'typeorm';
import type { EventStatus, Warning } from '#domain';

/**
 * Events counted per day reported (Asia/Shanghai), status, fine map cell (1/1024°: cell_x = floor(lng × 1024),
 * cell_y = floor(lat × 1024), ≈ 96 × 109 m in Anji), grid, category and warning: map cells and region bubbles with a
 * time window (and any other filter); coarser display cells are power-of-two blocks, bubbles prefix groups of the grid
 * code, rolled up when queried. Kept by the same trigger as the other map aggregates.
 * Key order: day, status (each (day, status) of the request one descent), then the cell row (a viewport's rows bound
 * each descent; the column and the grid code are filtered inside the index).
 */
@Entity('map_cell_counts')
@Check('map_cell_counts_n_check', `n >= 0`)
// the primary key (in read order) also carries n: INCLUDE (n), written in the migration (@PrimaryColumn has no INCLUDE),
// a known exception of the drift check; reads are index-only scans
export class MapCellCountEntity {
  @PrimaryColumn('date', { primaryKeyConstraintName: 'map_cell_counts_pkey' })
  day: string;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'map_cell_counts_pkey' })
  status: EventStatus;

  @PrimaryColumn('int', { name: 'cell_y', primaryKeyConstraintName: 'map_cell_counts_pkey' })
  cellY: number;

  @PrimaryColumn('int', { name: 'cell_x', primaryKeyConstraintName: 'map_cell_counts_pkey' })
  cellX: number;

  @PrimaryColumn('varchar', { name: 'region_code', length: 18, primaryKeyConstraintName: 'map_cell_counts_pkey' })
  regionCode: string;

  @PrimaryColumn('varchar', { name: 'category_code', length: 4, primaryKeyConstraintName: 'map_cell_counts_pkey' })
  categoryCode: string;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'map_cell_counts_pkey' })
  warning: Warning;

  @Column('int')
  n: number;
}
