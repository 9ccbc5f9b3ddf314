import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { CoreModule } from '../core.module.js';
import { PiiCipher } from '../pii/pii-cipher.js';
import { Open311KeysService } from './open311-keys.service.js';
import { Open311Service } from './open311.service.js';

/** The Open311 GeoReport v2 door (service and API keys) over the core's report path. */
@Module({
  imports: [CoreModule],
  providers: [{ provide: PiiCipher, inject: [AppConfig], useFactory: (config: AppConfig) => PiiCipher.fromConfig(config) }, Open311Service, Open311KeysService],
  exports: [Open311Service, Open311KeysService],
})
export class Open311Module {}
