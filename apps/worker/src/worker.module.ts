import { Module } from '@nestjs/common';
import { CoreModule } from '#core';
import { SlaProcessor } from './sla/sla.processor.js';
import { SlaSweeper } from './sla/sla.sweeper.js';
import { OutboxRelayLoop } from './outbox/outbox.relay-loop.js';
import { LiveEmitter } from './live/live-emitter.js';
import { WorkerHealthServer } from './health.server.js';
import { DemoLoop } from './demo/demo.loop.js';
import { GatewayRelayLoop } from './gateway/gateway-relay.loop.js';
import { WorkerGateways } from './gateway/gateway-clients.provider.js';
// libs/core/src/index.ts does not export the relay's folder yet (requested in /work/notes/requests-relay.md)
import { GatewayDeliveriesRepository } from '../../../libs/core/src/gateway-relay/index.js';

/** The worker process: SLA timers and their sweeper, the outbox relay to live screens and to the provincial gateways (later: rollups). */
@Module({ imports: [CoreModule], providers: [SlaProcessor, SlaSweeper, OutboxRelayLoop, LiveEmitter, WorkerHealthServer, DemoLoop,
  WorkerGateways, GatewayDeliveriesRepository, GatewayRelayLoop] })
export class WorkerModule {}
