import { Injectable } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { createGatewayClients, loadGatewayConfig } from '#core';
import type { GatewayClients, ResolvedGatewayConfig } from '#core';

/**
 * The provincial gateways of this worker process: the validated GATEWAY_* configuration (a bad variable stops start-up
 * with its name) and one set of clients with their keep-alive pools, closed on shutdown. A gateway that is not configured
 * answers `not_configured`: its deliveries are marked skipped.
 */
@Injectable()
export class WorkerGateways implements OnApplicationShutdown {
  readonly config: ResolvedGatewayConfig;
  readonly clients: GatewayClients;

  constructor() {
    this.config = loadGatewayConfig(process.env);
    this.clients = createGatewayClients(this.config);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.clients.close();
  }
}
