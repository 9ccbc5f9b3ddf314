import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { UserEntity } from '../auth/user.entity.js';

/** A photo (现场照片), re-encoded on upload; the bytes live in the row. */
@Entity('attachments')
export class AttachmentEntity {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'attachments_pkey' })
  id: string;

  @Column('uuid', { name: 'uploader_id' })
  @ForeignKey(() => UserEntity, { name: 'attachments_uploader_id_fkey' })
  uploaderId: string;

  @Column('text')
  mime: string;

  @Column('int')
  bytes: number;

  @Column('int')
  width: number;

  @Column('int')
  height: number;

  @Column('text')
  sha256: string;

  @Column('bytea')
  data: Buffer;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;
}
