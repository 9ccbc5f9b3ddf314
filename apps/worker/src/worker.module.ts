import { Module } from '@nestjs/common';
import { CoreModule } from '#core';
import { SlaProcessor } from './sla/sla.processor.js';
import { SlaSweeper } from './sla/sla.sweeper.js';
import { OutboxRelayLoop } from './outbox/outbox.relay-loop.js';
import { LiveEmitter } from './live/live-emitter.js';
import { WorkerHealthServer } from './health.server.js';
import { DemoLoop } from './demo/demo.loop.js';

/** The worker process: SLA timers and their sweeper, the outbox relay (later: notices to 浙政钉, rollups). */
@Module({ imports: [CoreModule], providers: [SlaProcessor, SlaSweeper, OutboxRelayLoop, LiveEmitter, WorkerHealthServer, DemoLoop] })
export class WorkerModule {}
