import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { EventStatus, Warning } from '#domain';

/**
 * Events counted per fine map cell (1/1024° of longitude × 1/1024° of latitude, ≈ 96 × 109 m in Anji: cell_x =
 * floor(lng × 1024), cell_y = floor(lat × 1024)), grid, day reported (Asia/Shanghai), category, status and warning.
 * Coarser map cells are rolled up from these when queried (a power-of-two block of fine cells). The grid code stays
 * in the key so a jurisdiction (a code prefix) applies to cells exactly as to regions. Kept by the same trigger as
 * map_region_counts; rows with n = 0 are deleted.
 * Key order: status, then latitude row, then column (a viewport is a cell_y range, cell_x filtered inside the index).
 */
@Entity('map_cell_counts')
@Check('map_cell_counts_n_check', `n >= 0`)
// the heatmap counts every status over a time window: day first
@Index('map_cell_counts_day_idx', ['day', 'cellY', 'cellX'])
export class MapCellCountEntity {
  @PrimaryColumn('text', { primaryKeyConstraintName: 'map_cell_counts_pkey' })
  status: EventStatus;

  @PrimaryColumn('int', { name: 'cell_y', primaryKeyConstraintName: 'map_cell_counts_pkey' })
  cellY: number;

  @PrimaryColumn('int', { name: 'cell_x', primaryKeyConstraintName: 'map_cell_counts_pkey' })
  cellX: number;

  @PrimaryColumn('varchar', { name: 'region_code', length: 18, primaryKeyConstraintName: 'map_cell_counts_pkey' })
  regionCode: string;

  @PrimaryColumn('date', { primaryKeyConstraintName: 'map_cell_counts_pkey' })
  day: string;

  @PrimaryColumn('varchar', { name: 'category_code', length: 4, primaryKeyConstraintName: 'map_cell_counts_pkey' })
  categoryCode: string;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'map_cell_counts_pkey' })
  warning: Warning;

  @Column('int')
  n: number;
}
