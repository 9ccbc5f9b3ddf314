import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import type { OutputInfo } from 'sharp';
import { v7 as uuidv7 } from 'uuid';
import type { AttachmentView, PhotoLink } from '#contracts';
import type { Actor } from '../auth/actor.js';
import type { AttachmentEntity } from './attachment.entity.js';
import { AppConfig, jwtSecretOf } from '../config/app-config.js';
import { DbService } from '../database/db.service.js';
import { Problem } from '../problem/problem.js';
import { visibility } from '../events/events.repository.js';

const ACCEPTED = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif', 'image/avif']);
const MAX_EDGE = 2560;
const THUMB_EDGE = 360;
/** Thumbnails kept in memory per process (≈ 20–40 KB each). */
const THUMB_CACHE = 300;

/** What a signed photo link grants: one photo (or its thumbnail) to one session until `exp` (Unix seconds). */
export interface PhotoGrant {
  id: string;
  thumb: boolean;
  exp: number;
  sessionId: string;
  userId: string;
}

export type { AttachmentView } from '#contracts';

/**
 * Photos (现场照片). The type is sniffed from the content, never from the file name; every image is
 * decoded and re-encoded as JPEG (auto-rotated, at most 2560 px, metadata such as GPS EXIF stripped), so
 * what is stored and served is an image we produced ourselves.
 */
@Injectable()
export class AttachmentsService {
  private linkKey: Buffer | null = null;
  private readonly thumbs = new Map<string, Buffer>();

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

  /**
   * Signed links to photos the caller has just been shown on an event (the caller's access to the event was checked by
   * whoever calls this). A link is `/api/v1/attachments/media/<token>`: the photo id, full or thumbnail, expiry and the caller's
   * session, HMAC-signed with a key derived from the token secret; it needs no Authorization header and contains no
   * token, stops working after PHOTO_LINK_SECONDS and as soon as that session ends.
   */
  photoLinks(actor: Actor, ids: readonly string[], now = Date.now()): PhotoLink[] {
    const exp = Math.floor(now / 1000) + this.config.PHOTO_LINK_SECONDS;
    const expiresAt = new Date(exp * 1000).toISOString();
    return [...new Set(ids)].map((id) => ({
      id,
      url: `/api/v1/attachments/media/${this.sign({ id, thumb: false, exp, sessionId: actor.sessionId, userId: actor.id })}`,
      thumbUrl: `/api/v1/attachments/media/${this.sign({ id, thumb: true, exp, sessionId: actor.sessionId, userId: actor.id })}`,
      expiresAt,
    }));
  }

  /** The grant of a link token, or null when it is malformed, forged or expired (the session is checked by the caller). */
  verifyPhotoLink(token: string, now = Date.now()): PhotoGrant | null {
    const m = /^([A-Za-z0-9_-]{40,200})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return null;
    const expected = createHmac('sha256', this.key()).update(m[1]).digest();
    const given = Buffer.from(m[2], 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const parts = Buffer.from(m[1], 'base64url').toString('utf8').split('|');
    if (parts.length !== 5) return null;
    const [id, kind, exp, sessionId, userId] = parts;
    const expNum = Number(exp);
    if (!Number.isInteger(expNum) || expNum * 1000 <= now) return null;
    return { id, thumb: kind === 't', exp: expNum, sessionId, userId };
  }

  /** The photo or its thumbnail (made on first use, kept in a small per-process cache). */
  async photo(grant: PhotoGrant): Promise<Buffer | null> {
    if (grant.thumb) {
      const hit = this.thumbs.get(grant.id);
      if (hit) return hit;
    }
    const rows = await this.db.query<{ data: Buffer }>(`SELECT data FROM attachments WHERE id = $1`, [grant.id]);
    if (!rows[0]) return null;
    if (!grant.thumb) return rows[0].data;
    const thumb = await sharp(rows[0].data).resize({ width: THUMB_EDGE, height: THUMB_EDGE, fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 70, mozjpeg: true }).toBuffer();
    if (this.thumbs.size >= THUMB_CACHE) this.thumbs.delete(this.thumbs.keys().next().value!);
    this.thumbs.set(grant.id, thumb);
    return thumb;
  }

  private sign(g: PhotoGrant): string {
    const body = Buffer.from([g.id, g.thumb ? 't' : 'f', g.exp, g.sessionId, g.userId].join('|'), 'utf8').toString('base64url');
    return `${body}.${createHmac('sha256', this.key()).update(body).digest('base64url')}`;
  }

  /** Derived lazily: processes that never make links (the worker) need no token secret. */
  private key(): Buffer {
    this.linkKey ??= Buffer.from(hkdfSync('sha256', jwtSecretOf(this.config), 'grid141', 'photo-links/v1', 32));
    return this.linkKey;
  }
}
