import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { EventStatus, Warning } from '#domain';

/**
 * Events counted per day reported (Asia/Shanghai), status, grid (网格, = events.region_code), category and warning:
 * region answers with a time window (and any other filter). The 141 hierarchy is a code prefix, so a township's or
 * village's bubble is a prefix group rolled up when queried. Kept by the trigger map_count_event (migration
 * MapAggregates) in the transaction of the change it counts; a key whose count falls to zero is deleted in the same
 * firing, so committed rows have n > 0.
 * Key order: the day first (a window reads only its days), then the status (the map asks for the open ones: each
 * (day, status) is one descent), then the code (a jurisdiction's prefix range bounds each descent).
 */
@Entity('map_region_counts')
@Check('map_region_counts_n_check', `n >= 0`)
// covering (n as the last key column: @Index has no INCLUDE), so a read is an index-only scan
@Index('map_region_counts_read_idx', ['day', 'status', 'regionCode', 'categoryCode', 'warning', 'n'])
export class MapRegionCountEntity {
  @PrimaryColumn('date', { primaryKeyConstraintName: 'map_region_counts_pkey' })
  day: string;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'map_region_counts_pkey' })
  status: EventStatus;

  @PrimaryColumn('varchar', { name: 'region_code', length: 18, primaryKeyConstraintName: 'map_region_counts_pkey' })
  regionCode: string;

  @PrimaryColumn('varchar', { name: 'category_code', length: 4, primaryKeyConstraintName: 'map_region_counts_pkey' })
  categoryCode: string;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'map_region_counts_pkey' })
  warning: Warning;

  @Column('int')
  n: number;
}
