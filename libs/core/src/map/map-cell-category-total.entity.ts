import { Check, Column, Entity, PrimaryColumn } from 'typeorm';
import type { EventStatus, Warning } from '#domain';

/**
 * Map cells and region bubbles with a category filter and no time window: events counted per level (levels
 * CELL_CATEGORY_LEVELS of the migration: only the fine 1/1024° cells today — a category's open events are sparse, so
 * coarser cells would hold hardly fewer rows: 5.1k at level 10 against 4.9k at level 6 for 大类 09 at 1M events),
 * category (小类), status, cell, grid and warning, all days together. Region bubbles sum its rows by grid code. Kept
 * by the same trigger as the other map aggregates, one row per level for each event.
 * Key order: level, category, status (each (小类, status) of the request one descent, so the closed history — most
 * rows — is skipped by the open view), then the cell row (the viewport's rows bound each descent) and column.
 */
@Entity('map_cell_category_totals')
@Check('map_cell_category_totals_n_check', `n >= 0`)
// the primary key (in read order) also carries n: INCLUDE (n), written in the migration (@PrimaryColumn has no INCLUDE),
// a known exception of the drift check; reads are index-only scans
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
