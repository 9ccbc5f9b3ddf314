import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { CoreModule } from '../core.module.js';
import { GATEWAY_CONFIG } from '../gateway/gateway-config.js';
import type { ResolvedGatewayConfig } from '../gateway/gateway-config.js';
import { PiiCipher } from '../pii/pii-cipher.js';
import type { IrsSettings } from './irs-config.js';
import { IRS_SETTINGS, IrsService } from './irs.service.js';

/**
 * The IRS lookups (IrsService). `register` takes the settings' loader (loadIrsSettings(process.env, gateways) in the
 * API), called once when the module starts with the process's gateway configuration: a bad variable stops start-up.
 */
@Module({})
export class IrsModule {
  static register(load: (gateways: ResolvedGatewayConfig) => IrsSettings): DynamicModule {
    return {
      module: IrsModule,
      imports: [CoreModule],
      providers: [
        { provide: IRS_SETTINGS, inject: [GATEWAY_CONFIG], useFactory: load },
        { provide: PiiCipher, inject: [AppConfig], useFactory: (config: AppConfig) => PiiCipher.fromConfig(config) },
        IrsService,
      ],
      exports: [IrsService],
    };
  }
}
