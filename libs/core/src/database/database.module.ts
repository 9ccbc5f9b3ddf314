import { Global, Module } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig, loadConfig } from '../config/app-config.js';
import { GATEWAY_CONFIG, loadGatewayConfig } from '../gateway/gateway-config.js';
import { createDataSource } from './data-source.js';

/**
 * Provides the validated AppConfig, the validated provincial gateway configuration (GATEWAY_CONFIG: a bad GATEWAY_*
 * variable stops start-up with its name) and one initialised TypeORM DataSource (PostgreSQL + PostGIS).
 */
@Global()
@Module({
  providers: [
    { provide: AppConfig, useFactory: () => loadConfig() },
    { provide: GATEWAY_CONFIG, useFactory: () => loadGatewayConfig(process.env) },
    {
      provide: DataSource,
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => createDataSource(config).initialize(),
    },
  ],
  exports: [AppConfig, GATEWAY_CONFIG, DataSource],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(private readonly dataSource: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
