import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A township platform type (四平台: 综治工作, 市场监管, 综合执法, 便民服务 …): reference data for routing. */
@Entity('platform_types')
export class PlatformTypeEntity {
  @PrimaryColumn('text', { primaryKeyConstraintName: 'platform_types_pkey' })
  code: string;

  @Column('text')
  name: string;

  @Column('text')
  scheme: string;

  @Column('int', { default: 0 })
  sort: number;

  @Column('boolean', { default: true })
  active: boolean;
}
