import { DataSource } from 'typeorm';
import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../../../migrations/index.js';
import type { AppConfig } from '../config/app-config.js';

/** Shared options for the app, the CLI and the tests. synchronize is always off: migrations only. */
export function dataSourceOptions(config: Pick<AppConfig, 'DATABASE_URL' | 'DB_POOL_SIZE'>): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.DATABASE_URL,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    entities: [],
    extra: { max: config.DB_POOL_SIZE },
  };
}

export function createDataSource(config: Pick<AppConfig, 'DATABASE_URL' | 'DB_POOL_SIZE'>): DataSource {
  return new DataSource(dataSourceOptions(config));
}
