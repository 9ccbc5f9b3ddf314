import { Injectable } from '@nestjs/common';
import type { Pool, PoolClient, QueryResult } from 'pg';
import { DataSource } from 'typeorm';

/** A connection inside a transaction (or the pool outside one): plain SQL, plain results. */
export interface Sql {
  /** Rows of a statement; a `name` makes it a prepared statement on each connection (hot paths: parsed and planned once). */
  query<T = any>(sql: string, params?: unknown[], name?: string): Promise<T[]>;
  /** Rows and row count (for UPDATE … WHERE version = $n). */
  exec<T = any>(sql: string, params?: unknown[]): Promise<{ rows: T[]; rowCount: number }>;
}

class ClientSql implements Sql {
  constructor(private readonly client: Pool | PoolClient) {}
  async query<T>(sql: string, params: unknown[] = [], name?: string): Promise<T[]> {
    const result = name ? await this.client.query({ name, text: sql, values: params }) : await this.client.query(sql, params);
    return (result as QueryResult).rows as T[];
  }
  async exec<T>(sql: string, params: unknown[] = []): Promise<{ rows: T[]; rowCount: number }> {
    const r = (await this.client.query(sql, params)) as QueryResult;
    return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
  }
}

/**
 * The SQL door to PostgreSQL, over the pool of TypeORM's DataSource (which owns migrations and the
 * connection lifecycle). Repositories write their own SQL: PostGIS and keyset paging read better as SQL,
 * and the hot paths (report ingest, transitions) need exact control of each round trip.
 */
@Injectable()
export class DbService implements Sql {
  private readonly pool: Pool;
  private readonly sql: ClientSql;

  constructor(dataSource: DataSource) {
    this.pool = (dataSource.driver as unknown as { master: Pool }).master;
    this.sql = new ClientSql(this.pool);
  }

  query<T = any>(sql: string, params?: unknown[], name?: string): Promise<T[]> {
    return this.sql.query<T>(sql, params, name);
  }

  exec<T = any>(sql: string, params?: unknown[]): Promise<{ rows: T[]; rowCount: number }> {
    return this.sql.exec<T>(sql, params);
  }

  /** Runs fn in one transaction: every state change and its side effects commit together or not at all. */
  async tx<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(new ClientSql(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
