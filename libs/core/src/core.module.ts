import { createSecretKey } from 'node:crypto';
import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AttachmentsService } from './attachments/attachments.service.js';
import { AuditService } from './audit/audit.service.js';
import { AuthService } from './auth/auth.service.js';
import { UsersRepository } from './auth/users.repository.js';
import { CategoriesRepository } from './categories/categories.repository.js';
import { AppConfig } from './config/app-config.js';
import { DatabaseModule } from './database/database.module.js';
import { RedisModule } from './redis/redis.module.js';
import { DbService } from './database/db.service.js';
import { EventsRepository } from './events/events.repository.js';
import { EventsService } from './events/events.service.js';
import { RoutingCache } from './events/routing.cache.js';
import { OutboxRelay } from './outbox/outbox-relay.service.js';
import { RegionsRepository } from './regions/regions.repository.js';
import { SlaService } from './sla/sla.service.js';
import { SlaTimers } from './sla/sla-timers.js';
import { SlaEngine } from './sla/sla-engine.service.js';
import { SlaAdminService } from './sla/sla-admin.service.js';
import { UnitsRepository } from './units/units.repository.js';

const providers = [DbService, AuditService, UsersRepository, AuthService, RegionsRepository, UnitsRepository, CategoriesRepository,
  EventsRepository, EventsService, RoutingCache, OutboxRelay, SlaService, SlaTimers, SlaEngine, SlaAdminService, AttachmentsService];

/** The feature services shared by the API and the worker. */
@Module({
  imports: [
    DatabaseModule,
    RedisModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      // a KeyObject, not a string: jsonwebtoken would otherwise try (and fail) to parse it as a public key on every verify
      useFactory: (config: AppConfig) => ({ secret: createSecretKey(Buffer.from(config.JWT_SECRET, 'utf8')), signOptions: { algorithm: 'HS256' }, verifyOptions: { algorithms: ['HS256'] } }),
    }),
  ],
  providers,
  exports: [DatabaseModule, RedisModule, ...providers],
})
export class CoreModule {}
