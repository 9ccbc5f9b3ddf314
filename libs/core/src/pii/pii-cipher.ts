import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { AppConfig, weakSecretReason } from '../config/app-config.js';

/** The kinds of personal data held encrypted; each has its own associated data and its own blind-index domain. */
/** The personal-data fields (the associated data of their ciphertexts): staff phone and ID number, a requester's contact. */
export type PiiField = 'phone' | 'id_number' | 'email' | 'name' | 'device_id';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/**
 * The key used when GRID141_DEV_MODE=true and PII_KEY is missing. Fixed (not random per process like the development
 * JWT secret) because encrypted rows outlive processes; being published, it protects nothing: development only.
 */
export const DEV_PII_KEY = 'grid141-development-mode-only-pii-key-not-secret';

/**
 * The secret the personal-data keys derive from. Throws with the variable's name when it is missing, short or published,
 * unless GRID141_DEV_MODE=true (where a missing one becomes DEV_PII_KEY).
 */
export function piiKeyOf(config: AppConfig): string {
  const weak = weakSecretReason(config.PII_KEY);
  if (weak === null) return config.PII_KEY!;
  if (config.GRID141_DEV_MODE !== 'true') {
    throw new Error(`Invalid configuration:\n  PII_KEY ${weak} (only GRID141_DEV_MODE=true accepts a weak or missing key)`);
  }
  return config.PII_KEY || DEV_PII_KEY;
}

/**
 * Encryption at rest of personal data (PIPL; 等保 level 3): AES-256-GCM with a fresh 96-bit IV per value, the field name
 * as associated data (a phone ciphertext does not decrypt as an ID number). Stored as bytea: version ‖ IV ‖ tag ‖
 * ciphertext. A blind index — HMAC-SHA256 of the field and the normalised value under a second key — finds a row by
 * exact value without decrypting the table (and is what uniqueness is checked on). Both keys derive from PII_KEY by
 * HKDF-SHA256 with different labels, so neither reveals the other.
 */
export class PiiCipher {
  private readonly encKey: Buffer;
  private readonly indexKey: Buffer;

  constructor(secret: string) {
    const derive = (info: string) => Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'grid141-pii', info, 32));
    this.encKey = derive('aes-256-gcm v1');
    this.indexKey = derive('blind-index hmac-sha256 v1');
  }

  static fromConfig(config: AppConfig): PiiCipher {
    return new PiiCipher(piiKeyOf(config));
  }

  encrypt(field: PiiField, value: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.encKey, iv);
    cipher.setAAD(Buffer.from(field));
    const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), data]);
  }

  /** Throws when the value was not encrypted by this key for this field (tampered, another key, another column). */
  decrypt(field: PiiField, stored: Buffer): string {
    if (stored.length < 1 + IV_BYTES + TAG_BYTES || stored[0] !== VERSION) throw new Error(`${field}: not a personal-data ciphertext`);
    const iv = stored.subarray(1, 1 + IV_BYTES);
    const tag = stored.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.encKey, iv);
    decipher.setAAD(Buffer.from(field));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(stored.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  /** The blind index of a normalised value (see personal-data.ts for the normal forms). */
  index(field: PiiField, value: string): Buffer {
    return createHmac('sha256', this.indexKey).update(`${field}\u0000${value}`).digest();
  }
}
