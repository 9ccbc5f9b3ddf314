import { Check, Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { PlatformTypeEntity } from '../units/platform-type.entity.js';

/** A category (事件分类 小类, grouped under its 大类): default township platform and county lead department. */
@Entity('categories')
@Check('categories_default_urgency_check', `default_urgency IN ('normal','urgent')`)
export class CategoryEntity {
  @PrimaryColumn('varchar', { length: 4, primaryKeyConstraintName: 'categories_pkey' })
  code: string;

  @Column('text')
  name: string;

  @Column('varchar', { name: 'major_code', length: 2 })
  majorCode: string;

  @Column('text', { name: 'major_name' })
  majorName: string;

  @Column('text', { name: 'platform_type_code', nullable: true })
  @ForeignKey(() => PlatformTypeEntity, { name: 'categories_platform_type_code_fkey' })
  platformTypeCode: string | null;

  @Column('text', { name: 'county_department', nullable: true })
  countyDepartment: string | null;

  @Column('text', { name: 'default_urgency', default: 'normal' })
  defaultUrgency: 'normal' | 'urgent';

  @Column('boolean', { name: 'is_event', default: true })
  isEvent: boolean;

  @Column('boolean', { default: true })
  active: boolean;

  @Column('int', { default: 0 })
  sort: number;

  /**
   * 上报省平台: events of this category are reported to the provincial platform with every status change, like events
   * escalated to the county (issue 10; the gateway router reads it when it routes a change).
   */
  @Column('boolean', { name: 'report_to_province', default: false })
  reportToProvince: boolean;
}
