import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';
import { DbService } from '../database/db.service.js';
import { REDIS } from '../redis/redis.module.js';
import type { OutboxMessageEntity } from './outbox-message.entity.js';

/** Redis channel a topic of the outbox is published on (live map, notices). */
export const liveChannel = (prefix: string, topic: string) => `${prefix}:live:${topic}`;

/**
 * Delivers outbox rows (written in the same transaction as the change they announce) to Redis pub/sub, at least
 * once, in order per batch. Rows are claimed with FOR UPDATE SKIP LOCKED, so several workers share the work without
 * publishing the same row twice in the normal case; a crash between publish and commit publishes it again, which
 * receivers tolerate (each message carries the outbox id and the event version).
 */
@Injectable()
export class OutboxRelay {
  constructor(private readonly config: AppConfig, private readonly db: DbService, @Inject(REDIS) private readonly redis: Redis) {}

  /** Publishes one batch; returns how many rows were delivered. */
  async relayBatch(limit = 500): Promise<number> {
    return this.db.tx(async (sql) => {
      const rows = await sql.query<Pick<OutboxMessageEntity, 'id' | 'topic' | 'aggregateId' | 'payload'>>(
        `SELECT id, topic, aggregate_id AS "aggregateId", payload FROM outbox WHERE published_at IS NULL
          ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, [limit]);
      if (rows.length === 0) return 0;
      const pipeline = this.redis.pipeline();
      for (const r of rows) {
        pipeline.publish(liveChannel(this.config.REDIS_PREFIX, r.topic), JSON.stringify({ ...r.payload, outboxId: Number(r.id), topic: r.topic, aggregateId: r.aggregateId }));
      }
      const results = await pipeline.exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
      await sql.query(`UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
      return rows.length;
    });
  }
}
