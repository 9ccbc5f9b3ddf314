import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { EventStatus, Warning } from '#domain';

/**
 * A smaller pyramid of map cells for a category filter without a time window: events counted per level (levels
 * CELL_CATEGORY_LEVELS), category (小类), cell, grid, status and warning, all days together. Kept by the same
 * trigger as the other map aggregates, one row per level for each event.
 * Key order: level, category (each 小类 of the filter one descent), cell row and column; the status is filtered
 * inside the index (a category's rows are sparse, so a descent per status would cost more than it skips).
 */
@Entity('map_cell_category_totals')
@Check('map_cell_category_totals_n_check', `n >= 0`)
// covering (n as the last key column: @Index has no INCLUDE), so a read is an index-only scan
@Index('map_cell_category_totals_read_idx', ['level', 'categoryCode', 'cellY', 'cellX', 'regionCode', 'status', 'warning', 'n'])
export class MapCellCategoryTotalEntity {
  @PrimaryColumn('smallint', { primaryKeyConstraintName: 'map_cell_category_totals_pkey' })
  level: number;

  @PrimaryColumn('varchar', { name: 'category_code', length: 4, primaryKeyConstraintName: 'map_cell_category_totals_pkey' })
  categoryCode: string;

  @PrimaryColumn('int', { name: 'cell_y', primaryKeyConstraintName: 'map_cell_category_totals_pkey' })
  cellY: number;

  @PrimaryColumn('int', { name: 'cell_x', primaryKeyConstraintName: 'map_cell_category_totals_pkey' })
  cellX: number;

  @PrimaryColumn('varchar', { name: 'region_code', length: 18, primaryKeyConstraintName: 'map_cell_category_totals_pkey' })
  regionCode: string;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'map_cell_category_totals_pkey' })
  status: EventStatus;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'map_cell_category_totals_pkey' })
  warning: Warning;

  @Column('int')
  n: number;
}
