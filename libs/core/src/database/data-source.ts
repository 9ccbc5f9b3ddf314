import { DataSource } from 'typeorm';
import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../../../migrations/index.js';
import type { AppConfig } from '../config/app-config.js';
import { ENTITIES } from './entities.js';

/**
 * Shared options for the app, the CLI and the tests. synchronize is always off: the entities define the schema,
 * migrations generated from them (and read) change it, and the drift check (database/schema-drift.ts) keeps the two equal.
 */
export function dataSourceOptions(config: Pick<AppConfig, 'DATABASE_URL' | 'DB_POOL_SIZE'>): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.DATABASE_URL,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    entities: ENTITIES,
    // extensions (postgis) are created by the migrations, run by an owner role; never at connect time by the app
    installExtensions: false,
    extra: { max: config.DB_POOL_SIZE },
  };
}

export function createDataSource(config: Pick<AppConfig, 'DATABASE_URL' | 'DB_POOL_SIZE'>): DataSource {
  return new DataSource(dataSourceOptions(config));
}
