import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import { IsInt, Max, Min, validateSync } from 'class-validator';
import { loadGatewayConfig } from '../gateway/gateway-config.js';
import type { ResolvedGatewayConfig } from '../gateway/gateway-config.js';

/**
 * Settings of the IRS lookups (信息核查), validated once at start-up like the gateway configuration (the module passes
 * the environment in, as the provincial door does with loadGatewayConfig). The gateway itself — base URL, keys, the
 * person and enterprise paths, the timeout per attempt — is GATEWAY_IRS_* and GATEWAY_TIMEOUT_MS (gateway-config.ts).
 */
export class IrsLookupConfig {
  /** Lookups one user may ask for in a minute (a dispatcher on a case needs a few; a loop or a scraper needs many). */
  @Type(() => Number) @IsInt() @Min(1) @Max(10_000) IRS_LOOKUPS_PER_MINUTE = 20;
  /** Lookups one user may ask for in a day (Asia/Shanghai). */
  @Type(() => Number) @IsInt() @Min(1) @Max(1_000_000) IRS_LOOKUPS_PER_DAY = 300;
  /**
   * Attempts per lookup, the first included. A person waits at the screen: fewer than the relay's GATEWAY_MAX_ATTEMPTS,
   * so that a gateway down answers 502 within about two timeouts instead of minutes.
   */
  @Type(() => Number) @IsInt() @Min(1) @Max(5) IRS_LOOKUP_ATTEMPTS = 2;
}

export interface IrsSettings {
  gateway: ResolvedGatewayConfig;
  lookups: IrsLookupConfig;
}

const KEYS = Object.keys(new IrsLookupConfig());

/**
 * Validates IRS_LOOKUP* of `env` (and its GATEWAY_* variables, unless the process's gateway configuration is given);
 * throws with every bad variable named.
 */
export function loadIrsSettings(env: Record<string, string | undefined>, gateway: ResolvedGatewayConfig = loadGatewayConfig(env)): IrsSettings {
  const defined = Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== undefined && v !== '' && KEYS.includes(k)));
  const lookups = plainToInstance(IrsLookupConfig, { ...new IrsLookupConfig(), ...defined }, { enableImplicitConversion: false });
  const problems = validateSync(lookups).map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`);
  if (problems.length > 0) throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return { gateway, lookups };
}
