import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { CoreModule } from '../core.module.js';
import { PiiCipher } from '../pii/pii-cipher.js';
import { HotlineService } from './hotline.service.js';

/** The 12345 work-order door (HotlineService) over the core's report path. */
@Module({
  imports: [CoreModule],
  providers: [{ provide: PiiCipher, inject: [AppConfig], useFactory: (config: AppConfig) => PiiCipher.fromConfig(config) }, HotlineService],
  exports: [HotlineService],
})
export class HotlineModule {}
