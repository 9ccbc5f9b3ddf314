import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { EventStatus, Warning } from '#domain';

/**
 * Events counted per category (小类), grid, status and warning, all days together: region answers with a category
 * filter and no time window. A 大类 (2 digits) is the code range 'XX00'–'XX99' (codes are 4 digits), a 小类 one
 * value, so the filter bounds the scan of the covering index. Kept by the same trigger as map_region_totals.
 */
@Entity('map_region_category_totals')
@Check('map_region_category_totals_n_check', `n >= 0`)
// covering (n as the last key column: @Index has no INCLUDE), so a read is an index-only scan
@Index('map_region_category_totals_read_idx', ['categoryCode', 'regionCode', 'status', 'warning', 'n'])
export class MapRegionCategoryTotalEntity {
  @PrimaryColumn('varchar', { name: 'category_code', length: 4, primaryKeyConstraintName: 'map_region_category_totals_pkey' })
  categoryCode: string;

  @PrimaryColumn('varchar', { name: 'region_code', length: 18, primaryKeyConstraintName: 'map_region_category_totals_pkey' })
  regionCode: string;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'map_region_category_totals_pkey' })
  status: EventStatus;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'map_region_category_totals_pkey' })
  warning: Warning;

  @Column('int')
  n: number;
}
