import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn, Unique } from 'typeorm';
import type { Role } from '#domain';
import { RegionEntity } from '../regions/region.entity.js';
import { UnitEntity } from '../units/unit.entity.js';

/** A user (用户): one role, one unit, one jurisdiction (a region code prefix). */
@Entity('users')
@Unique('users_username_key', ['username'])
@Index('users_phone_index_key', ['phoneIndex'], { unique: true })
@Index('users_id_number_index_key', ['idNumberIndex'], { unique: true })
@Index('users_zwdd_account_id_key', ['zwddAccountId'], { unique: true })
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

  // Personal data (PIPL, 等保 level 3): encrypted at rest (pii/pii-cipher.ts, key from PII_KEY), never in clear text in
  // any column; the blind indexes (HMAC) find a user by exact value and keep a phone or ID number to one account.

  /** 手机号, AES-256-GCM. */
  @Column('bytea', { name: 'phone_enc', nullable: true })
  phoneEnc: Buffer | null;

  @Column('bytea', { name: 'phone_index', nullable: true })
  phoneIndex: Buffer | null;

  /** 身份证号, AES-256-GCM. */
  @Column('bytea', { name: 'id_number_enc', nullable: true })
  idNumberEnc: Buffer | null;

  @Column('bytea', { name: 'id_number_index', nullable: true })
  idNumberIndex: Buffer | null;

  /**
   * The person's 浙政钉 account id (accountId of the government DingTalk directory): 免登 finds the account by it, and
   * work notices and to-dos are addressed to it. Null for someone without a 浙政钉 account.
   */
  @Column('varchar', { name: 'zwdd_account_id', length: 64, nullable: true })
  zwddAccountId: string | null;
}
