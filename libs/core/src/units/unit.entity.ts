import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { RegionEntity } from '../regions/region.entity.js';
import { PlatformTypeEntity } from './platform-type.entity.js';

export type UnitType = 'county_centre' | 'county_department' | 'township_centre' | 'township_platform' | 'township_station' | 'grid_team';

/** A unit (处置单位): command centre, department, platform, station or grid team, attached to one region. */
@Entity('units')
@Check('units_type_check',
  `type IN ('county_centre','county_department','township_centre','township_platform','township_station','grid_team')`)
// units_region_idx is on region_code text_pattern_ops (prefix searches): a known exception, see database/schema-drift.ts
@Index('units_region_idx', { synchronize: false })
export class UnitEntity {
  @PrimaryColumn('varchar', { length: 40, primaryKeyConstraintName: 'units_pkey' })
  code: string;

  @Column('text')
  name: string;

  @Column('text')
  type: UnitType;

  @Column('varchar', { name: 'region_code', length: 18 })
  @ForeignKey(() => RegionEntity, { name: 'units_region_code_fkey' })
  regionCode: string;

  @Column('text', { name: 'platform_type_code', nullable: true })
  @ForeignKey(() => PlatformTypeEntity, { name: 'units_platform_type_code_fkey' })
  platformTypeCode: string | null;

  @Column('text', { name: 'department_kind', nullable: true })
  departmentKind: string | null;

  @Column('varchar', { name: 'parent_unit_code', length: 40, nullable: true })
  @ForeignKey(() => UnitEntity, { name: 'units_parent_unit_code_fkey' })
  parentUnitCode: string | null;

  @Column('boolean', { default: true })
  active: boolean;
}
