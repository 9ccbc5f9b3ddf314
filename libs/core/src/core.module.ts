import { StatsService } from './stats/stats.service.js';
import { Module } from '@nestjs/common';
import { AttachmentsService } from './attachments/attachments.service.js';
import { AuditService } from './audit/audit.service.js';
import { CategoriesRepository } from './categories/categories.repository.js';
import { DatabaseModule } from './database/database.module.js';
import { RedisModule } from './redis/redis.module.js';
import { DbService } from './database/db.service.js';
import { EventsRepository } from './events/events.repository.js';
import { EventsService } from './events/events.service.js';
import { EventViews } from './events/event-views.js';
import { RoutingCache } from './events/routing.cache.js';
import { MapRepository } from './map/map.repository.js';
import { MapService } from './map/map.service.js';
import { OutboxRelay } from './outbox/outbox-relay.service.js';
import { RegionsRepository } from './regions/regions.repository.js';
import { SlaService } from './sla/sla.service.js';
import { SlaTimers } from './sla/sla-timers.js';
import { SlaEngine } from './sla/sla-engine.service.js';
import { SlaAdminService } from './sla/sla-admin.service.js';
import { UnitsRepository } from './units/units.repository.js';

const providers = [DbService, AuditService, RegionsRepository, UnitsRepository, CategoriesRepository,
  EventsRepository, EventsService, EventViews, RoutingCache, OutboxRelay, SlaService, SlaTimers, SlaEngine, SlaAdminService, AttachmentsService, MapRepository, MapService, StatsService];

/** The feature services shared by the API and the worker (authentication is the API's: AuthModule). */
@Module({
  imports: [
    DatabaseModule,
    RedisModule,
  ],
  providers,
  exports: [DatabaseModule, RedisModule, ...providers],
})
export class CoreModule {}
