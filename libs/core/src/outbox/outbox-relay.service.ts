import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { LiveChange } from '#contracts';
import { AppConfig } from '../config/app-config.js';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';
import { EventViews } from '../events/event-views.js';
import { CHANGE_COLUMNS, splitChange } from '../events/events.repository.js';
import type { ChangeRow } from '../events/events.repository.js';
import { REDIS } from '../redis/redis.module.js';
import { roomsOfEvent } from './live.js';
import type { OutboxMessageEntity } from './outbox-message.entity.js';

/** Redis channel a topic of the outbox is published on (notices, other subscribers). */
export const liveChannel = (prefix: string, topic: string) => `${prefix}:live:${topic}`;

/** One change for the /live namespace: the message and the rooms it goes to. */
export interface LiveDelivery {
  rooms: string[];
  change: LiveChange;
}

/** Where the relay hands the live changes of a batch, in feed order; resolves once they are durably handed on. */
export interface LiveSink {
  deliver(deliveries: LiveDelivery[]): Promise<void>;
}

/** One relay at a time emits (transaction-scoped advisory lock), so live messages leave in one order: the feed's. */
const RELAY_LOCK = 141_007;

type PendingRow = Pick<OutboxMessageEntity, 'id' | 'topic' | 'aggregateId' | 'payload'>;

/**
 * Delivers outbox rows (written in the same transaction as the change they announce), at least once: `event.changed`
 * as a LiveChange to the /live rooms of the event (through `live`, the worker's socket.io emitter), and every row to
 * Redis pub/sub as before. A crash between delivery and commit delivers a batch again; receivers drop a position they
 * already have.
 *
 * Live messages leave in change-feed order (GET /changes), so that the last position a client received is a cursor it can
 * resume the feed from: rows are taken only from transactions older than every one still running (the feed's horizon)
 * and in (transaction, timeline row) order, and one relay works at a time. A row whose transaction is still running when
 * a batch is read can therefore only sort after everything that batch emits.
 */
@Injectable()
export class OutboxRelay {
  constructor(private readonly config: AppConfig, private readonly db: DbService, private readonly views: EventViews,
    @Inject(REDIS) private readonly redis: Redis) {}

  /** Delivers one batch; returns how many rows were delivered (0 also when another relay holds the turn). */
  async relayBatch(limit = 500, live?: LiveSink): Promise<number> {
    return this.db.tx(async (sql) => {
      const [{ turn }] = await sql.query<{ turn: boolean }>(`SELECT pg_try_advisory_xact_lock($1) AS turn`, [RELAY_LOCK]);
      if (!turn) return 0;
      const rows = await sql.query<PendingRow>(
        `SELECT id, topic, aggregate_id AS "aggregateId", payload FROM outbox
          WHERE published_at IS NULL
            AND (payload->>'position' IS NULL OR split_part(payload->>'position', '.', 1)::bigint < txid_snapshot_xmin(txid_current_snapshot()))
          ORDER BY split_part(payload->>'position', '.', 1)::bigint NULLS FIRST, split_part(payload->>'position', '.', 2)::bigint NULLS FIRST, id
          LIMIT $1 FOR UPDATE SKIP LOCKED`, [limit]);
      if (rows.length === 0) return 0;
      if (live) await live.deliver(await this.liveChanges(sql, rows));
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

  /** The batch's `event.changed` rows as LiveChanges, in feed order: their timeline rows and the events as they are now. */
  private async liveChanges(sql: Sql, rows: PendingRow[]): Promise<LiveDelivery[]> {
    const actionIds = rows.filter((r) => r.topic === 'event.changed' && typeof r.payload.position === 'string')
      .map((r) => (r.payload.position as string).split('.')[1]!);
    if (actionIds.length === 0) return [];
    const changes = (await sql.query<ChangeRow>(
      `SELECT ${CHANGE_COLUMNS} FROM event_actions a JOIN events e ON e.id = a.event_id
        WHERE a.id = ANY($1::bigint[]) ORDER BY a.xid, a.id`, [actionIds])).map(splitChange);
    // an event changed twice in the batch is viewed once (as it is now)
    const events = new Map(changes.map((c) => [c.event.id, c.event]));
    const viewOf = new Map((await this.views.forLive([...events.values()], new Date(), sql)).map((v) => [v.id, v]));
    return changes.map((c) => ({ rooms: roomsOfEvent(c.event), change: { ...c.step, event: viewOf.get(c.event.id)! } }));
  }
}
