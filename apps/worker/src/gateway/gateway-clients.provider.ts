import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { createGatewayClients, GATEWAY_CONFIG } from '#core';
import type { GatewayClients, ResolvedGatewayConfig } from '#core';

/**
 * The provincial gateways of this worker process: the validated GATEWAY_* configuration (a bad variable stops start-up
 * with its name) and one set of clients with their keep-alive pools, closed on shutdown. A gateway that is not configured
 * answers `not_configured`: its deliveries are marked skipped.
 */
@Injectable()
export class WorkerGateways implements OnApplicationShutdown {
  readonly clients: GatewayClients;

  constructor(@Inject(GATEWAY_CONFIG) readonly config: ResolvedGatewayConfig) {
    this.clients = createGatewayClients(config);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.clients.close();
  }
}
