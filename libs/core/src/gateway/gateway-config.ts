import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';
import { KNOWN_SECRETS } from '../config/app-config.js';
import { DEFAULT_12345_MAPPING, parse12345Mapping } from './hotline12345-mapping.js';
import type { Hotline12345Mapping } from './hotline12345-mapping.js';
import type { GatewayScheme } from './gateway-verifier.js';

const URL_RE = /^https?:\/\/[^\s'"<>]+$/;
const PATH_RE = /^\/[^\s?#]*$/;

/**
 * Configuration of the provincial gateways, validated once like AppConfig (which keeps the single reading of
 * process.env: it passes the environment in). Every gateway is off until its base URL, AK and SK are all set; there
 * are no default keys. The paths default to the 接口编码 the province sandbox serves: set the real ones issued in the
 * IRS workbench for production.
 */
export class GatewayConfig {
  /** 浙政钉 open platform, e.g. https://openplatform-pro.ding.zj.gov.cn (政务外网) or https://openplatform.dg-work.cn. */
  @IsOptional() @Matches(URL_RE) GATEWAY_ZWDD_BASE_URL?: string;
  @IsOptional() @IsString() GATEWAY_ZWDD_ACCESS_KEY?: string;
  @IsOptional() @IsString() GATEWAY_ZWDD_SECRET_KEY?: string;
  /** 浙政钉 tenant (租户) id of the county's organisation. */
  @IsOptional() @Matches(/^\d+$/) GATEWAY_ZWDD_TENANT_ID?: string;
  /** Sent as X-Hmac-Auth-IP / -MAC (the gateway logs them; some tenants allow-list the IP). */
  @IsOptional() @IsString() GATEWAY_ZWDD_CLIENT_IP?: string;
  @IsOptional() @IsString() GATEWAY_ZWDD_CLIENT_MAC?: string;

  /** IRS 业务协同与数据共享网关, e.g. https://bcdsg.zj.gov.cn:8443 (政务外网). */
  @IsOptional() @Matches(URL_RE) GATEWAY_IRS_BASE_URL?: string;
  @IsOptional() @IsString() GATEWAY_IRS_ACCESS_KEY?: string;
  @IsOptional() @IsString() GATEWAY_IRS_SECRET_KEY?: string;
  @IsOptional() @Matches(PATH_RE) GATEWAY_IRS_PERSON_PATH = '/restapi/prod/IC33000020260000000011/person';
  @IsOptional() @Matches(PATH_RE) GATEWAY_IRS_ENTERPRISE_PATH = '/restapi/prod/IC33000020260000000012/enterprise';

  /** The 12345 platform's upward interface (签收/回复/退单/延期申请); defaults to the IRS gateway and keys. */
  @IsOptional() @Matches(URL_RE) GATEWAY_12345_BASE_URL?: string;
  @IsOptional() @IsString() GATEWAY_12345_ACCESS_KEY?: string;
  @IsOptional() @IsString() GATEWAY_12345_SECRET_KEY?: string;
  @IsOptional() @IsIn(['irs', 'zwdd']) GATEWAY_12345_SCHEME: GatewayScheme = 'irs';
  /** JSON overriding parts of the 12345 field mapping (DOMAIN 4.4 is the default; see hotline12345-mapping.ts). */
  @IsOptional() @IsString() GATEWAY_12345_MAPPING?: string;

  /** The provincial event platform that escalated events and their status changes are reported to (via IRS by default). */
  @IsOptional() @Matches(URL_RE) GATEWAY_PROVINCE_BASE_URL?: string;
  @IsOptional() @IsString() GATEWAY_PROVINCE_ACCESS_KEY?: string;
  @IsOptional() @IsString() GATEWAY_PROVINCE_SECRET_KEY?: string;
  @IsOptional() @Matches(PATH_RE) GATEWAY_PROVINCE_EVENTS_PATH = '/restapi/prod/IC33000014100000000001/event/report';

  /** Inbound pushes (12345 work orders, 回访 ratings): the scheme and the one key pair the province signs with. */
  @IsOptional() @IsIn(['irs', 'zwdd']) GATEWAY_INBOUND_SCHEME: GatewayScheme = 'zwdd';
  @IsOptional() @IsString() GATEWAY_INBOUND_ACCESS_KEY?: string;
  @IsOptional() @IsString() GATEWAY_INBOUND_SECRET_KEY?: string;
  @Type(() => Number) @IsInt() @Min(5) @Max(900) GATEWAY_CLOCK_SKEW_SECONDS = 90;

  /** Per attempt: the whole request, connection to last byte. */
  @Type(() => Number) @IsInt() @Min(100) @Max(120_000) GATEWAY_TIMEOUT_MS = 5000;
  @Type(() => Number) @IsInt() @Min(1) @Max(20) GATEWAY_MAX_ATTEMPTS = 5;
  @Type(() => Number) @IsInt() @Min(1) @Max(60_000) GATEWAY_BACKOFF_BASE_MS = 200;
  @Type(() => Number) @IsInt() @Min(1) @Max(600_000) GATEWAY_BACKOFF_MAX_MS = 10_000;
  /** Keep-alive connections per gateway origin. */
  @Type(() => Number) @IsInt() @Min(1) @Max(1024) GATEWAY_CONNECTIONS = 32;
}

/** One gateway's resolved settings, or null when it is off. */
export interface GatewayTarget {
  baseUrl: string;
  accessKey: string;
  secretKey: string;
  scheme: GatewayScheme;
}

export interface ResolvedGatewayConfig {
  raw: GatewayConfig;
  zwdd: (GatewayTarget & { tenantId: string; clientIp?: string; clientMac?: string }) | null;
  irs: (GatewayTarget & { personPath: string; enterprisePath: string }) | null;
  hotline12345: (GatewayTarget & { mapping: Hotline12345Mapping }) | null;
  province: (GatewayTarget & { eventsPath: string }) | null;
  inbound: { scheme: GatewayScheme; accessKey: string; secretKey: string; skewSeconds: number } | null;
  retry: { maxAttempts: number; baseMs: number; maxMs: number };
  timeoutMs: number;
  connections: number;
}

const KEYS = Object.keys(new GatewayConfig());

/** A published placeholder is refused as a secret key (the province issues random ones: BCDSGS_…). */
function secretProblem(name: string, value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  if (KNOWN_SECRETS.some((k) => k.toLowerCase() === value.toLowerCase())) return `${name}: is a published default or placeholder`;
  return null;
}

/** Validates the GATEWAY_* variables of `env`; throws with every bad variable named. */
/**
 * The process's validated GATEWAY_* configuration (a ResolvedGatewayConfig), loaded once by DatabaseModule beside AppConfig
 * and injected wherever a gateway is used: the province door, 免登, the IRS lookups, the worker's relay.
 */
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

export function loadGatewayConfig(env: Record<string, string | undefined>): ResolvedGatewayConfig {
  const defined = Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== undefined && v !== '' && KEYS.includes(k)));
  const c = plainToInstance(GatewayConfig, { ...new GatewayConfig(), ...defined }, { enableImplicitConversion: false });
  const problems = validateSync(c).map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`);

  // a gateway is all-or-nothing: a base URL without its keys (or keys without a URL) is a mistake, not "off"
  const group = (name: string, url?: string, ak?: string, sk?: string): GatewayTarget | null => {
    const set = [url, ak, sk].filter((v) => v !== undefined);
    if (set.length === 0) return null;
    if (set.length < 3) {
      const missing = [[`GATEWAY_${name}_BASE_URL`, url], [`GATEWAY_${name}_ACCESS_KEY`, ak], [`GATEWAY_${name}_SECRET_KEY`, sk]]
        .filter(([, v]) => v === undefined).map(([k]) => k);
      problems.push(`${missing.join(', ')}: must be set together with the other GATEWAY_${name}_* variables`);
      return null;
    }
    const weak = secretProblem(`GATEWAY_${name}_SECRET_KEY`, sk);
    if (weak) problems.push(weak);
    return { baseUrl: url!.replace(/\/+$/, ''), accessKey: ak!, secretKey: sk!, scheme: 'irs' };
  };
  const zwdd = group('ZWDD', c.GATEWAY_ZWDD_BASE_URL, c.GATEWAY_ZWDD_ACCESS_KEY, c.GATEWAY_ZWDD_SECRET_KEY);
  if (zwdd && !c.GATEWAY_ZWDD_TENANT_ID) problems.push('GATEWAY_ZWDD_TENANT_ID: is required when the 浙政钉 gateway is configured');
  const irs = group('IRS', c.GATEWAY_IRS_BASE_URL, c.GATEWAY_IRS_ACCESS_KEY, c.GATEWAY_IRS_SECRET_KEY);
  // 12345 and the province platform fall back to the IRS gateway and its keys, each variable on its own
  const fallback = (name: string, url?: string, ak?: string, sk?: string) =>
    group(name, url ?? c.GATEWAY_IRS_BASE_URL, ak ?? c.GATEWAY_IRS_ACCESS_KEY, sk ?? c.GATEWAY_IRS_SECRET_KEY);
  const hotline = fallback('12345', c.GATEWAY_12345_BASE_URL, c.GATEWAY_12345_ACCESS_KEY, c.GATEWAY_12345_SECRET_KEY);
  const province = fallback('PROVINCE', c.GATEWAY_PROVINCE_BASE_URL, c.GATEWAY_PROVINCE_ACCESS_KEY, c.GATEWAY_PROVINCE_SECRET_KEY);

  let mapping: Hotline12345Mapping = DEFAULT_12345_MAPPING;
  if (c.GATEWAY_12345_MAPPING) {
    try { mapping = parse12345Mapping(c.GATEWAY_12345_MAPPING); } catch (e) { problems.push(`GATEWAY_12345_MAPPING: ${(e as Error).message}`); }
  }
  const inboundSet = [c.GATEWAY_INBOUND_ACCESS_KEY, c.GATEWAY_INBOUND_SECRET_KEY].filter((v) => v !== undefined).length;
  if (inboundSet === 1) problems.push('GATEWAY_INBOUND_ACCESS_KEY, GATEWAY_INBOUND_SECRET_KEY: must be set together');
  const weakInbound = secretProblem('GATEWAY_INBOUND_SECRET_KEY', c.GATEWAY_INBOUND_SECRET_KEY);
  if (weakInbound) problems.push(weakInbound);
  if (c.GATEWAY_BACKOFF_MAX_MS < c.GATEWAY_BACKOFF_BASE_MS) problems.push('GATEWAY_BACKOFF_MAX_MS: must not be below GATEWAY_BACKOFF_BASE_MS');

  if (problems.length > 0) throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return {
    raw: c,
    zwdd: zwdd && { ...zwdd, scheme: 'zwdd', tenantId: c.GATEWAY_ZWDD_TENANT_ID!, clientIp: c.GATEWAY_ZWDD_CLIENT_IP, clientMac: c.GATEWAY_ZWDD_CLIENT_MAC },
    irs: irs && { ...irs, personPath: c.GATEWAY_IRS_PERSON_PATH, enterprisePath: c.GATEWAY_IRS_ENTERPRISE_PATH },
    hotline12345: hotline && { ...hotline, scheme: c.GATEWAY_12345_SCHEME, mapping },
    province: province && { ...province, eventsPath: c.GATEWAY_PROVINCE_EVENTS_PATH },
    inbound: inboundSet === 2
      ? { scheme: c.GATEWAY_INBOUND_SCHEME, accessKey: c.GATEWAY_INBOUND_ACCESS_KEY!, secretKey: c.GATEWAY_INBOUND_SECRET_KEY!, skewSeconds: c.GATEWAY_CLOCK_SKEW_SECONDS }
      : null,
    retry: { maxAttempts: c.GATEWAY_MAX_ATTEMPTS, baseMs: c.GATEWAY_BACKOFF_BASE_MS, maxMs: c.GATEWAY_BACKOFF_MAX_MS },
    timeoutMs: c.GATEWAY_TIMEOUT_MS,
    connections: c.GATEWAY_CONNECTIONS,
  };
}
