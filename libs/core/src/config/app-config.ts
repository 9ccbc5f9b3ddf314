import { plainToInstance, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';

/**
 * The only place that reads process.env. Validated once at start-up: a bad variable stops the
 * process with a message that names it.
 */
export class AppConfig {
  @IsString() DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/grid141';
  @IsString() REDIS_URL = 'redis://127.0.0.1:6379';
  /** Prefix for BullMQ queues and socket rooms, so test runs never share Redis keys. */
  @IsString() @Matches(/^[a-z0-9_-]+$/i) REDIS_PREFIX = 'grid141';
  @IsString() @MinLength(16) JWT_SECRET = 'dev-only-secret-change-me-please';
  @Type(() => Number) @IsInt() @Min(60) @Max(86400) ACCESS_TOKEN_TTL_SECONDS = 900;
  @Type(() => Number) @IsInt() @Min(3600) REFRESH_TOKEN_TTL_SECONDS = 30 * 86400;
  @Type(() => Number) @IsInt() @Min(1) @Max(50) LOGIN_MAX_FAILURES = 5;
  @Type(() => Number) @IsInt() @Min(1) LOGIN_LOCK_MINUTES = 15;
  /** The county this deployment serves (6 digits). */
  @IsString() @Matches(/^\d{6}$/) COUNTY_CODE = '330523';
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) PORT = 3000;
  /** The worker's health endpoint port; 0 turns it off. */
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) WORKER_HEALTH_PORT = 0;
  /** API processes sharing the port (node:cluster); 0 = one per CPU core. Each is stateless. */
  @Type(() => Number) @IsInt() @Min(0) @Max(64) API_PROCESSES = 1;
  @Type(() => Number) @IsInt() @Min(1024) UPLOAD_MAX_BYTES = 10 * 1024 * 1024;
  @Type(() => Number) @IsInt() @Min(1) @Max(200) DB_POOL_SIZE = 20;
  @IsOptional() @IsIn(['error', 'warn', 'log', 'debug']) LOG_LEVEL: 'error' | 'warn' | 'log' | 'debug' = 'log';
  /** Period of the SLA sweeper that rebuilds lost timer jobs from PostgreSQL. */
  @Type(() => Number) @IsInt() @Min(100) SLA_SWEEP_MS = 30_000;
  /** Marks closer than this get a Redis job at once; later ones are armed by the sweeper. Must exceed SLA_SWEEP_MS. */
  @Type(() => Number) @IsInt() @Min(1000) SLA_HORIZON_MS = 120_000;
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
