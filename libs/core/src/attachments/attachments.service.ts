import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import type { OutputInfo } from 'sharp';
import { v7 as uuidv7 } from 'uuid';
import type { AttachmentView } from '#contracts';
import type { Actor } from '../auth/actor.js';
import type { AttachmentEntity } from './attachment.entity.js';
import { AppConfig } from '../config/app-config.js';
import { DbService } from '../database/db.service.js';
import { Problem } from '../problem/problem.js';
import { visibility } from '../events/events.repository.js';

const ACCEPTED = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif', 'image/avif']);
const MAX_EDGE = 2560;

export type { AttachmentView } from '#contracts';

/**
 * Photos (现场照片). The type is sniffed from the content, never from the file name; every image is
 * decoded and re-encoded as JPEG (auto-rotated, at most 2560 px, metadata such as GPS EXIF stripped), so
 * what is stored and served is an image we produced ourselves.
 */
@Injectable()
export class AttachmentsService {
  constructor(private readonly config: AppConfig, private readonly db: DbService) {}

  async upload(actor: Actor, file: { buffer: Buffer; size: number; originalname?: string } | undefined): Promise<AttachmentView> {
    if (!file || file.size === 0) throw Problem.invalidField('file', 'a non-empty image file is required', 400);
    if (file.size > this.config.UPLOAD_MAX_BYTES) throw new Problem(413, 'Content Too Large', `file: ${file.size} bytes exceeds the limit of ${this.config.UPLOAD_MAX_BYTES}`, [{ field: 'file', message: 'too large' }]);
    const sniffed = await fileTypeFromBuffer(file.buffer);
    if (!sniffed || !ACCEPTED.has(sniffed.mime)) {
      throw new Problem(415, 'Unsupported Media Type', `file: content is ${sniffed?.mime ?? 'not an image'}, expected JPEG, PNG, WebP, HEIC or AVIF`,
        [{ field: 'file', message: 'not an accepted image type' }], 'urn:grid141:problem:unsupported-media');
    }
    let out: { data: Buffer; info: OutputInfo };
    try {
      out = await sharp(file.buffer, { limitInputPixels: 100_000_000 })
        .rotate()
        .resize({ width: MAX_EDGE, height: MAX_EDGE, fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: 82, mozjpeg: true })
        .toBuffer({ resolveWithObject: true });
    } catch {
      throw new Problem(415, 'Unsupported Media Type', 'file: the image could not be decoded', [{ field: 'file', message: 'corrupt image' }], 'urn:grid141:problem:unsupported-media');
    }
    const view: AttachmentView = { id: uuidv7(), mime: 'image/jpeg', bytes: out.data.length, width: out.info.width, height: out.info.height,
      sha256: createHash('sha256').update(out.data).digest('hex') };
    await this.db.query(`INSERT INTO attachments (id, uploader_id, mime, bytes, width, height, sha256, data) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
      [view.id, actor.id, view.mime, view.bytes, view.width, view.height, view.sha256, out.data]);
    return view;
  }

  /** The image, if the caller uploaded it or can see an event that carries it. */
  async download(actor: Actor, id: string): Promise<Pick<AttachmentEntity, 'mime' | 'data'>> {
    const v = visibility(actor, 3);
    const rows = await this.db.query<Pick<AttachmentEntity, 'mime' | 'data'>>(
      `SELECT a.mime, a.data FROM attachments a WHERE a.id = $1 AND (a.uploader_id = $2 OR EXISTS (
         SELECT 1 FROM events e WHERE ${v.clause} AND (a.id = ANY(e.attachment_ids)
           OR EXISTS (SELECT 1 FROM event_actions x WHERE x.event_id = e.id AND a.id = ANY(x.attachment_ids)))))`,
      [id, actor.id, ...v.params]);
    if (!rows[0]) throw Problem.notFound(`attachment ${id}`);
    return rows[0];
  }
}
