import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { AuthModule } from '../auth/auth.module.js';
import { CoreModule } from '../core.module.js';
import { PiiCipher } from '../pii/pii-cipher.js';
import { RosterService } from './roster.service.js';
import { UserAdminService } from './user-admin.service.js';
import { UnitsAdminService } from '../units/units-admin.service.js';
import { CategoriesAdminService } from '../categories/categories-admin.service.js';
import { GridsAdminService } from '../regions/grids-admin.service.js';
import { RegionsAdminService } from '../regions/regions-admin.service.js';
import { AuditAdminService } from '../audit/audit-admin.service.js';

/**
 * People administration, for the API. The personal-data key is checked here, at start-up: a missing, short or published
 * PII_KEY stops the API (unless GRID141_DEV_MODE=true).
 */
@Module({
  imports: [CoreModule, AuthModule],
  providers: [{ provide: PiiCipher, inject: [AppConfig], useFactory: (config: AppConfig) => PiiCipher.fromConfig(config) }, UserAdminService, RosterService,
    UnitsAdminService, CategoriesAdminService, GridsAdminService, RegionsAdminService, AuditAdminService],
  exports: [PiiCipher, UserAdminService, RosterService, UnitsAdminService, CategoriesAdminService, GridsAdminService, RegionsAdminService, AuditAdminService],
})
export class UsersAdminModule {}
