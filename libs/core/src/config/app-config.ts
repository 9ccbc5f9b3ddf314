import { plainToInstance, Type } from 'class-transformer';
import { randomBytes } from 'node:crypto';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';

/** Secrets that have been published (old defaults, documentation examples, common placeholders): never accepted. */
export const KNOWN_SECRETS: readonly string[] = [
  'dev-only-secret-change-me-please', 'change-me-to-a-long-random-secret', 'test-secret-0123456789abcdef', 'secret', 'changeme',
  'change-me', 'changeit', 'password', 'jwt-secret', 'jwtsecret', 'your-256-bit-secret', 'your-secret-key', 'supersecret',
  'grid141', 'grid141-secret', 'Grid141!demo', 'development', 'production',
];
/** Minimum length of JWT_SECRET: 32 characters (≥ 256 bits from a random base64/hex generator). */
export const MIN_SECRET_LENGTH = 32;

/** Why a secret is unacceptable outside development mode, or null when it is fine. */
export function weakSecretReason(secret: string | undefined): string | null {
  if (secret === undefined || secret === '') return 'is missing: set a long random secret (e.g. `openssl rand -base64 48`)';
  if (KNOWN_SECRETS.some((k) => k.toLowerCase() === secret.toLowerCase())) return 'is a published default or placeholder: generate a random one';
  if (secret.length < MIN_SECRET_LENGTH) return `is too short: at least ${MIN_SECRET_LENGTH} characters`;
  if (new Set(secret).size < 8) return 'has too few distinct characters to be random';
  return null;
}

/**
 * The only place that reads process.env. Validated once at start-up: a bad variable stops the
 * process with a message that names it.
 */
export class AppConfig {
  @IsString() DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/grid141';
  @IsString() REDIS_URL = 'redis://127.0.0.1:6379';
  /** Prefix for BullMQ queues and socket rooms, so test runs never share Redis keys. */
  @IsString() @Matches(/^[a-z0-9_-]+$/i) REDIS_PREFIX = 'grid141';
  /**
   * HMAC key of the access tokens. No default: the API refuses to start with a missing, short or published secret
   * unless GRID141_DEV_MODE=true, where a missing one is replaced by a random per-process secret.
   */
  @IsOptional() @IsString() JWT_SECRET?: string;
  /**
   * Key of the personal data (phone and ID numbers) encrypted at rest, and of their blind indexes: a long random secret
   * from configuration, never in the database or the repository (see piiKeyOf in pii/pii-cipher.ts). Losing it loses
   * those columns; changing it needs a re-encryption.
   */
  @IsOptional() @IsString() PII_KEY?: string;
  /** Explicit development mode: relaxes only the JWT_SECRET and PII_KEY rules (never set it in production). */
  @IsOptional() @IsIn(['true', 'false']) GRID141_DEV_MODE: 'true' | 'false' = 'false';
  @Type(() => Number) @IsInt() @Min(60) @Max(86400) ACCESS_TOKEN_TTL_SECONDS = 900;
  @Type(() => Number) @IsInt() @Min(3600) REFRESH_TOKEN_TTL_SECONDS = 30 * 86400;
  @Type(() => Number) @IsInt() @Min(1) @Max(50) LOGIN_MAX_FAILURES = 5;
  @Type(() => Number) @IsInt() @Min(1) LOGIN_LOCK_MINUTES = 15;
  /** The county this deployment serves (6 digits). */
  @IsString() @Matches(/^\d{6}$/) COUNTY_CODE = '330523';
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) PORT = 3000;
  /**
   * An optional base-map tile URL template for the web maps (e.g. 天地图: `https://t0.tianditu.gov.cn/...{z}/{x}/{y}`),
   * reachable from the users' network; without it the maps show the region polygons only (works with no internet).
   */
  @IsOptional() @Matches(/^https?:\/\/[^\s'"<>]+\{z\}[^\s'"<>]*$/) MAP_TILE_URL?: string;
  @IsOptional() @IsString() MAP_TILE_ATTRIBUTION?: string;
  /** Where the built web pages are (default: dist/web of the installation); the API serves them when present. */
  @IsOptional() @IsString() WEB_DIR?: string;
  /** The worker's health endpoint port; 0 turns it off. */
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) WORKER_HEALTH_PORT = 0;
  /** API processes sharing the port (node:cluster); 0 = one per CPU core. Each is stateless. */
  @Type(() => Number) @IsInt() @Min(0) @Max(64) API_PROCESSES = 1;
  /** Lifetime of the signed photo links in event details (they also end with the session that got them). */
  @Type(() => Number) @IsInt() @Min(30) @Max(86400) PHOTO_LINK_SECONDS = 600;
  @Type(() => Number) @IsInt() @Min(1024) UPLOAD_MAX_BYTES = 10 * 1024 * 1024;
  @Type(() => Number) @IsInt() @Min(1) @Max(200) DB_POOL_SIZE = 20;
  @IsOptional() @IsIn(['error', 'warn', 'log', 'debug']) LOG_LEVEL: 'error' | 'warn' | 'log' | 'debug' = 'log';
  /** The living demo's generator in the worker (演示数据): 'on' only where `npm run demo` sets it, never in tests or production. */
  @IsOptional() @IsIn(['on', 'off']) DEMO_GENERATOR: 'on' | 'off' = 'off';
  /** Its reports per hour across the county in the busiest hours (quieter hours get a share), and its seed (0: new each start). */
  @Type(() => Number) @IsInt() @Min(1) @Max(36000) DEMO_REPORTS_PER_HOUR = 120;
  @Type(() => Number) @IsInt() @Min(0) DEMO_SEED = 0;
  /** Period of the SLA sweeper that rebuilds lost timer jobs from PostgreSQL. */
  @Type(() => Number) @IsInt() @Min(100) SLA_SWEEP_MS = 30_000;
  /** Marks closer than this get a Redis job at once; later ones are armed by the sweeper. Must exceed SLA_SWEEP_MS. */
  @Type(() => Number) @IsInt() @Min(1000) SLA_HORIZON_MS = 120_000;
  /**
   * /live: how long a disconnected socket's missed messages are kept for replay (connection state recovery), and the
   * length of the Redis stream holding them; size it as peak changes/s × this window (README, "Live updates").
   */
  @Type(() => Number) @IsInt() @Min(10) @Max(3600) LIVE_RECOVERY_SECONDS = 300;
  @Type(() => Number) @IsInt() @Min(1000) LIVE_STREAM_MAXLEN = 15_000;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const defined = Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== undefined && k in new AppConfig()));
  const config = plainToInstance(AppConfig, { ...new AppConfig(), ...defined }, { enableImplicitConversion: false });
  const errors = validateSync(config, { whitelist: false });
  if (errors.length === 0 && config.SLA_HORIZON_MS <= config.SLA_SWEEP_MS) {
    throw new Error(`Invalid configuration:\n  SLA_HORIZON_MS (${config.SLA_HORIZON_MS}) must be greater than SLA_SWEEP_MS (${config.SLA_SWEEP_MS})`);
  }
  if (errors.length > 0) {
    const lines = errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`);
    throw new Error(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return config;
}

const devSecrets = new WeakMap<AppConfig, string>();

/**
 * The key that signs and verifies access tokens, checked where tokens are made (the API), not in processes that never
 * touch them (worker, CLI). Throws with the variable's name on a missing, short or published secret, unless
 * GRID141_DEV_MODE=true, where a missing secret becomes a random one for this process.
 */
export function jwtSecretOf(config: AppConfig): string {
  const weak = weakSecretReason(config.JWT_SECRET);
  if (weak === null) return config.JWT_SECRET!;
  if (config.GRID141_DEV_MODE !== 'true') {
    throw new Error(`Invalid configuration:\n  JWT_SECRET ${weak} (only GRID141_DEV_MODE=true accepts a weak or missing secret)`);
  }
  if (config.JWT_SECRET) return config.JWT_SECRET;
  let random = devSecrets.get(config);
  if (!random) { random = randomBytes(48).toString('base64url'); devSecrets.set(config, random); }
  return random;
}
