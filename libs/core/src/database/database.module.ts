import { Global, Module } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig, loadConfig } from '../config/app-config.js';
import { createDataSource } from './data-source.js';

/** Provides the validated AppConfig and one initialised TypeORM DataSource (PostgreSQL + PostGIS). */
@Global()
@Module({
  providers: [
    { provide: AppConfig, useFactory: () => loadConfig() },
    {
      provide: DataSource,
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => createDataSource(config).initialize(),
    },
  ],
  exports: [AppConfig, DataSource],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(private readonly dataSource: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
