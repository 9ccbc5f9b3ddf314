import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { UserEntity } from '../auth/user.entity.js';

/**
 * An Open311 API key (GeoReport v2 `api_key`), issued and revoked by an administrator. The key itself is shown once, when
 * issued; only its SHA-256 is kept (a random 256-bit key needs no slow hash). Service requests POSTed with it are filed
 * as `serviceUserId`, a reporting account (grid worker, township dispatcher or county operator).
 */
@Entity('open311_clients')
@Index('open311_clients_key_hash_key', ['keyHash'], { unique: true })
export class Open311ClientEntity {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'open311_clients_pkey' })
  id: string;

  @Column('text')
  name: string;

  /** The first characters of the key, to tell keys apart in the console (not enough to use it). */
  @Column('varchar', { name: 'key_prefix', length: 12 })
  keyPrefix: string;

  @Column('bytea', { name: 'key_hash' })
  keyHash: Buffer;

  @Column('uuid', { name: 'service_user_id' })
  @ForeignKey(() => UserEntity, { name: 'open311_clients_service_user_id_fkey' })
  serviceUserId: string;

  @Column('uuid', { name: 'created_by', nullable: true })
  createdBy: string | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;

  @Column('uuid', { name: 'revoked_by', nullable: true })
  revokedBy: string | null;

  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;
}
