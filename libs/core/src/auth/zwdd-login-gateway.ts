import type { OnApplicationShutdown } from '@nestjs/common';
import { createGatewayClients } from '../gateway/gateway-clients.js';
import type { GatewayClients, ZwddUser } from '../gateway/gateway-clients.js';
import type { ResolvedGatewayConfig } from '../gateway/gateway-config.js';
import type { GatewayResult } from '../gateway/gateway-retry.js';

/**
 * The 浙政钉 gateway as 免登 (login without a password) uses it: one ZwddClient of its own in the API process, with a
 * retry budget for a person waiting at a login page rather than the relay's (5 attempts with backoff up to 10 s would
 * keep the page waiting half a minute). One retry after a 5xx or a dropped connection; the per-attempt deadline is the
 * configured one, at most 5 s. Only the 浙政钉 pool is opened (the other gateways are not needed here).
 */
export const ZWDD_LOGIN_RETRY = { maxAttempts: 2, baseMs: 100, maxMs: 400 } as const;

export class ZwddLoginGateway implements OnApplicationShutdown {
  /** The county's 浙政钉 tenant (租户): an answer naming another tenant is not one of our staff. Null: not configured. */
  readonly tenantId: string | null;
  private readonly clients: GatewayClients;

  constructor(config: ResolvedGatewayConfig) {
    this.tenantId = config.zwdd?.tenantId ?? null;
    this.clients = createGatewayClients({ ...config, irs: null, hotline12345: null, province: null },
      { retry: { ...ZWDD_LOGIN_RETRY }, timeoutMs: Math.min(config.timeoutMs, 5000) });
  }

  get configured(): boolean {
    return this.tenantId !== null;
  }

  /** The 浙政钉 user behind a one-time auth code (the gateway spends the code). */
  userByAuthCode(authCode: string): Promise<GatewayResult<ZwddUser>> {
    return this.clients.zwdd.userByAuthCode(authCode);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.clients.close();
  }
}
