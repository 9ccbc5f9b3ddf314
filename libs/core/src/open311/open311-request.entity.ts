import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { Open311ClientEntity } from './open311-client.entity.js';

/**
 * What a GeoReport v2 POST brought beyond the event (事件) it filed: the client, the token, the media URL (kept as a link,
 * never fetched) and the requester's contact — personal data, encrypted at rest like the users' (pii/pii-cipher.ts) and
 * never returned. Written just before the event, under the event's id (no foreign key: the event is written by the
 * report path in its own transaction; a row whose event was refused is removed, and reads join on events).
 */
@Entity('open311_requests')
@Index('open311_requests_token_key', ['token'], { unique: true })
export class Open311RequestEntity {
  @PrimaryColumn('uuid', { name: 'event_id', primaryKeyConstraintName: 'open311_requests_pkey' })
  eventId: string;

  @Column('uuid', { name: 'client_id' })
  @ForeignKey(() => Open311ClientEntity, { name: 'open311_requests_client_id_fkey' })
  clientId: string;

  @Column('varchar', { length: 40 })
  token: string;

  @Column('text', { name: 'media_url', nullable: true })
  mediaUrl: string | null;

  @Column('text', { name: 'address_id', nullable: true })
  addressId: string | null;

  @Column('bytea', { name: 'email_enc', nullable: true })
  emailEnc: Buffer | null;

  @Column('bytea', { name: 'phone_enc', nullable: true })
  phoneEnc: Buffer | null;

  @Column('bytea', { name: 'name_enc', nullable: true })
  nameEnc: Buffer | null;

  @Column('bytea', { name: 'device_id_enc', nullable: true })
  deviceIdEnc: Buffer | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;
}
