import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A settings version ('calendar', 'sla_rules', 'reference'): bumped with an admin edit so every process reloads. */
@Entity('settings_versions')
export class SettingsVersionEntity {
  @PrimaryColumn('text', { primaryKeyConstraintName: 'settings_versions_pkey' })
  name: string;

  /** bigint: pg returns it as a string. */
  @Column('bigint', { default: 1 })
  version: string;
}
