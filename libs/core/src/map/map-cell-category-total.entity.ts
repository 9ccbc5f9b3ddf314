import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { EventStatus, Warning } from '#domain';

/**
 * A smaller pyramid of map cells for a category filter without a time window: events counted per level (levels
 * CELL_CATEGORY_LEVELS), category (小类), cell, grid, status and warning, all days together. Kept by the same
 * trigger as the other map aggregates, one row per level for each event.
 * Key order: level, category, status (each (小类, status) of the request one descent, so the closed history — most
 * rows — is skipped by the open view), then the cell row (the viewport's rows bound each descent) and column.
 */
@Entity('map_cell_category_totals')
@Check('map_cell_category_totals_n_check', `n >= 0`)
// covering (n as the last key column: @Index has no INCLUDE), so a read is an index-only scan
@Index('map_cell_category_totals_read_idx', ['level', 'categoryCode', 'status', 'cellY', 'cellX', 'regionCode', 'warning', 'n'])
export class MapCellCategoryTotalEntity {
  @PrimaryColumn('smallint', { primaryKeyConstraintName: 'map_cell_category_totals_pkey' })
  level: number;

  @PrimaryColumn('varchar', { name: 'category_code', length: 4, primaryKeyConstraintName: 'map_cell_category_totals_pkey' })
  categoryCode: string;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'map_cell_category_totals_pkey' })
  status: EventStatus;

  @PrimaryColumn('int', { name: 'cell_y', primaryKeyConstraintName: 'map_cell_category_totals_pkey' })
  cellY: number;

  @PrimaryColumn('int', { name: 'cell_x', primaryKeyConstraintName: 'map_cell_category_totals_pkey' })
  cellX: number;

  @PrimaryColumn('varchar', { name: 'region_code', length: 18, primaryKeyConstraintName: 'map_cell_category_totals_pkey' })
  regionCode: string;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'map_cell_category_totals_pkey' })
  warning: Warning;

  @Column('int')
  n: number;
}
