import { Check, Column, Entity, PrimaryColumn } from 'typeorm';
import type { EventStatus, Warning } from '#domain';

/**
 * Events counted per grid (网格, = events.region_code), day reported (Asia/Shanghai), category, status and warning:
 * the map's region aggregate. The 141 hierarchy is a code prefix, so a township's or village's bubble is a prefix
 * group rolled up when queried. Kept by the trigger `map_count_event` on events (migration MapAggregates) in the
 * transaction of the change it counts; a key whose count falls to zero is deleted in the same firing, so committed rows have n > 0.
 * Key order: status first (the map asks for open statuses and skips the closed history), then the code (a prefix range).
 */
@Entity('map_region_counts')
@Check('map_region_counts_n_check', `n >= 0`)
export class MapRegionCountEntity {
  @PrimaryColumn('text', { primaryKeyConstraintName: 'map_region_counts_pkey' })
  status: EventStatus;

  @PrimaryColumn('varchar', { name: 'region_code', length: 18, primaryKeyConstraintName: 'map_region_counts_pkey' })
  regionCode: string;

  @PrimaryColumn('date', { primaryKeyConstraintName: 'map_region_counts_pkey' })
  day: string;

  @PrimaryColumn('varchar', { name: 'category_code', length: 4, primaryKeyConstraintName: 'map_region_counts_pkey' })
  categoryCode: string;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'map_region_counts_pkey' })
  warning: Warning;

  @Column('int')
  n: number;
}
