import { Check, Column, Entity, ForeignKey, PrimaryColumn, Unique } from 'typeorm';
import type { Role } from '#domain';
import { RegionEntity } from '../regions/region.entity.js';
import { UnitEntity } from '../units/unit.entity.js';

/** A user (用户): one role, one unit, one jurisdiction (a region code prefix). */
@Entity('users')
@Unique('users_username_key', ['username'])
@Check('users_role_check',
  `role IN ('grid_worker','township_dispatcher','handler','county_operator','county_leader','admin')`)
export class UserEntity {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'users_pkey' })
  id: string;

  @Column('text')
  username: string;

  @Column('text', { name: 'display_name' })
  displayName: string;

  @Column('text', { name: 'password_hash' })
  passwordHash: string;

  @Column('text')
  role: Role;

  @Column('varchar', { name: 'unit_code', length: 40, nullable: true })
  @ForeignKey(() => UnitEntity, { name: 'users_unit_code_fkey' })
  unitCode: string | null;

  @Column('varchar', { name: 'jurisdiction_code', length: 18 })
  @ForeignKey(() => RegionEntity, { name: 'users_jurisdiction_code_fkey' })
  jurisdictionCode: string;

  @Column('int', { name: 'failed_logins', default: 0 })
  failedLogins: number;

  @Column('timestamptz', { name: 'locked_until', nullable: true })
  lockedUntil: Date | null;

  @Column('boolean', { default: false })
  disabled: boolean;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  /** Set by an administrator's reset: the user must choose a new password before anything else. */
  @Column('boolean', { name: 'must_change_password', default: false })
  mustChangePassword: boolean;

  @Column('timestamptz', { name: 'password_changed_at', nullable: true })
  passwordChangedAt: Date | null;
}
