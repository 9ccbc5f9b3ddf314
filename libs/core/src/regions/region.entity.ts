import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import type { MultiPolygonCoords } from '#domain';

/** GeoJSON as TypeORM reads a geometry column (the repositories select ST_AsGeoJSON themselves). */
export interface GeoJsonMultiPolygon { type: 'MultiPolygon'; coordinates: MultiPolygonCoords }

export type RegionLevel = 'province' | 'city' | 'county' | 'township' | 'village' | 'grid';

/**
 * A region (行政区划/网格): the 12-digit statistical code (grids longer) is its ancestry, so a jurisdiction is
 * a code prefix. Geometry is WGS84; only grids need it for locating a report.
 */
@Entity('regions')
@Check('regions_level_check', `level IN ('province','city','county','township','village','grid')`)
// prefix searches (code LIKE '330523%') use text_pattern_ops: a known exception, see database/schema-drift.ts
@Index('regions_code_prefix_idx', { synchronize: false })
@Index('regions_parent_idx', ['parentCode'])
@Index('regions_geom_idx', ['geom'], { spatial: true })
@Index('regions_grid_geom_idx', ['geom'], { spatial: true, where: `level = 'grid'` })
export class RegionEntity {
  @PrimaryColumn('varchar', { length: 18, primaryKeyConstraintName: 'regions_pkey' })
  code: string;

  @Column('text')
  name: string;

  @Column('text')
  level: RegionLevel;

  @Column('varchar', { name: 'parent_code', length: 18, nullable: true })
  @ForeignKey(() => RegionEntity, { name: 'regions_parent_code_fkey' })
  parentCode: string | null;

  @Column('geometry', { spatialFeatureType: 'MultiPolygon', srid: 4326, nullable: true })
  geom: GeoJsonMultiPolygon | null;

  @Column('boolean', { default: false })
  synthetic: boolean;

  @Column('text', { name: 'geom_source', nullable: true })
  geomSource: string | null;

  @Column('date', { name: 'valid_from', nullable: true })
  validFrom: string | null;

  @Column('date', { name: 'valid_to', nullable: true })
  validTo: string | null;
}
