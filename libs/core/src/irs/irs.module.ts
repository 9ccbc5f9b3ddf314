import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { CoreModule } from '../core.module.js';
import { PiiCipher } from '../pii/pii-cipher.js';
import type { IrsSettings } from './irs-config.js';
import { IRS_SETTINGS, IrsService } from './irs.service.js';

/**
 * The IRS lookups (IrsService). `register` takes the settings' loader (loadIrsSettings(process.env) in the API), called
 * once when the module starts: a bad variable stops start-up with its name.
 */
@Module({})
export class IrsModule {
  static register(load: () => IrsSettings): DynamicModule {
    return {
      module: IrsModule,
      imports: [CoreModule],
      providers: [
        { provide: IRS_SETTINGS, useFactory: load },
        { provide: PiiCipher, inject: [AppConfig], useFactory: (config: AppConfig) => PiiCipher.fromConfig(config) },
        IrsService,
      ],
      exports: [IrsService],
    };
  }
}
