import { Module } from '@nestjs/common';
import { CoreModule } from '#core';
import { SlaProcessor } from './sla/sla.processor.js';
import { SlaSweeper } from './sla/sla.sweeper.js';

/** The worker process: SLA timers and their sweeper (later: outbox relay, notices, rollups). */
@Module({ imports: [CoreModule], providers: [SlaProcessor, SlaSweeper] })
export class WorkerModule {}
