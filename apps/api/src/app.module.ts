import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { MulterModule } from '@nestjs/platform-express';
import { AppConfig, AuthModule, CoreModule, UsersAdminModule } from '#core';
import { AdminController } from './admin/admin.controller.js';
import { AdminConsoleModule } from './admin/admin-console.module.js';
import { UsersController } from './admin/users.controller.js';
import { AttachmentsController } from './attachments/attachments.controller.js';
import { AuthController } from './auth/auth.controller.js';
import { AuthGuard } from './auth/auth.guard.js';
import { ChangesController } from './changes/changes.controller.js';
import { ProblemFilter } from './common/problem.filter.js';
import { EventsController } from './events/events.controller.js';
import { HealthController } from './health/health.controller.js';
import { MapController } from './map/map.controller.js';
import { Open311ApiModule } from './open311/open311-api.module.js';
import { LiveModule } from './live/live.module.js';
import { ProvinceApiModule } from './province/province.module.js';
import { IrsApiModule } from './irs/irs-api.module.js';
import { RegionsController } from './regions/regions.controller.js';
import { StatsController } from './stats/stats.controller.js';
import { WebController } from './web/web.controller.js';

@Module({
  imports: [
    CoreModule,
    AuthModule,
    LiveModule,
    UsersAdminModule,
    AdminConsoleModule,
    Open311ApiModule,
    ProvinceApiModule,
    IrsApiModule,
    MulterModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ limits: { fileSize: config.UPLOAD_MAX_BYTES, files: 1, fields: 10 } }),
    }),
  ],
  controllers: [AdminController, UsersController, AuthController, EventsController, ChangesController, RegionsController, AttachmentsController, HealthController, MapController, WebController, StatsController],
  providers: [
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_FILTER, useClass: ProblemFilter },
  ],
})
export class AppModule {}
