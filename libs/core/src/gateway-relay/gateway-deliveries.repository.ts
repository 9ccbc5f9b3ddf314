import { Injectable } from '@nestjs/common';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';
import type { GatewayDeliveryEntity, GatewayDeliveryKind, GatewayDeliveryState } from './gateway-delivery.entity.js';
import { deliveriesOf } from './gateway-routing.js';
import type { RoutedChange } from './gateway-routing.js';

/** A delivery as the deliverer and the admin console see it. */
export type GatewayDeliveryRow = Pick<GatewayDeliveryEntity, 'id' | 'eventId' | 'actionId' | 'kind' | 'messageId' | 'payload' | 'state'
  | 'attempts' | 'nextAttemptAt' | 'lastError' | 'lastStatus' | 'createdAt' | 'doneAt'>;

/** The select list of a delivery (table alias `t`). */
const row = (t: string) => `${t}.id::text, ${t}.event_id AS "eventId", ${t}.action_id::text AS "actionId", ${t}.kind, ${t}.message_id AS "messageId",
  ${t}.payload, ${t}.state, ${t}.attempts, ${t}.next_attempt_at AS "nextAttemptAt", ${t}.last_error AS "lastError", ${t}.last_status AS "lastStatus",
  ${t}.created_at AS "createdAt", ${t}.done_at AS "doneAt"`;
const ROW = row('gateway_deliveries');

export const ROUTER_NAME = 'gateway';

/** What one delivery round came to, for `settle`. */
export type DeliveryOutcome =
  | { kind: 'done'; status: number }
  | { kind: 'dead'; status: number | null; error: string }
  | { kind: 'retry'; status: number | null; error: string; delayMs: number }
  | { kind: 'skipped'; error: string };

/**
 * Every query of the gateway deliveries: the router's step over the timeline, the deliverer's claims and results, and the
 * admin console's list and replay.
 */
@Injectable()
export class GatewayDeliveriesRepository {
  constructor(private readonly db: DbService) {}

  /**
   * Routes the next timeline rows after the cursor into deliveries, in one transaction with advancing the cursor: a
   * restart neither loses a change nor routes it twice (and the unique message id would drop a second routing anyway).
   * Rows are read in change-feed order — (writing transaction, row id) — and only from transactions older than every one
   * still running (the horizon rule of EventsRepository.changes), so a change whose transaction commits later always sorts
   * after the cursor. The cursor row is locked: two workers route one after the other. Returns the rows routed.
   */
  async route(limit: number): Promise<{ changes: number; deliveries: number }> {
    return this.db.tx(async (sql) => {
      const cursor = await sql.query<{ xid: string; actionId: string }>(
        `SELECT xid::text, action_id::text AS "actionId" FROM gateway_relay_cursor WHERE name = $1 FOR UPDATE`, [ROUTER_NAME]);
      const at = cursor[0] ?? { xid: '0', actionId: '0' };
      if (!cursor[0]) await sql.query(`INSERT INTO gateway_relay_cursor (name, xid, action_id) VALUES ($1, 0, 0) ON CONFLICT DO NOTHING`, [ROUTER_NAME]);
      const rows = await sql.query<Omit<RoutedChange, 'orderNo'> & { xid: string }>(
        `SELECT a.xid::text, a.id::text AS "actionId", a.event_id AS "eventId", a.type, a.to_status AS "toStatus", a.to_level AS "toLevel",
                a.note, a.data, a.at,
                (SELECT count(*)::int FROM event_actions b WHERE b.event_id = a.event_id AND b.id <= a.id) AS version,
                e.code, e.category_code AS "categoryCode", e.description, e.source, e.region_code AS "regionCode",
                ST_X(e.location) AS lng, ST_Y(e.location) AS lat, e.owner_unit_code AS "ownerUnitCode", e.centre_unit_code AS "centreUnitCode"
           FROM event_actions a JOIN events e ON e.id = a.event_id
          WHERE (a.xid, a.id) > ($1::bigint, $2::bigint) AND a.xid < txid_snapshot_xmin(txid_current_snapshot())
          ORDER BY a.xid, a.id LIMIT $3`, [at.xid, at.actionId, limit]);
      if (rows.length === 0) return { changes: 0, deliveries: 0 };
      const orders = await this.orderNumbers(sql, [...new Set(rows.filter((r) => r.source === 'hotline12345').map((r) => r.eventId))]);
      const deliveries = rows.flatMap((r) => deliveriesOf({ ...r, orderNo: orders.get(r.eventId) ?? null }));
      if (deliveries.length > 0) {
        await sql.query(
          `INSERT INTO gateway_deliveries (event_id, action_id, kind, message_id, payload)
           SELECT (d->>'eventId')::uuid, (d->>'actionId')::bigint, d->>'kind', d->>'messageId', d->'payload'
             FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY x(d, i) ORDER BY i
           ON CONFLICT (message_id) DO NOTHING`, [JSON.stringify(deliveries)]);
      }
      const last = rows[rows.length - 1]!;
      await sql.query(`UPDATE gateway_relay_cursor SET xid = $2, action_id = $3, updated_at = now() WHERE name = $1`, [ROUTER_NAME, last.xid, last.actionId]);
      return { changes: rows.length, deliveries: deliveries.length };
    });
  }

  /** 12345 order numbers of hotline events, by SQL only: the table belongs to the hotline adapter and may not exist yet. */
  private async orderNumbers(sql: Sql, eventIds: string[]): Promise<Map<string, string>> {
    if (eventIds.length === 0) return new Map();
    const [{ present }] = await sql.query<{ present: boolean }>(`SELECT to_regclass('public.hotline_orders') IS NOT NULL AS present`);
    if (!present) return new Map();
    const rows = await sql.query<{ eventId: string; orderNo: string }>(
      `SELECT event_id AS "eventId", order_no AS "orderNo" FROM hotline_orders WHERE event_id = ANY($1::uuid[])`, [eventIds]);
    return new Map(rows.map((r) => [r.eventId, r.orderNo]));
  }

  /**
   * Claims up to `limit` deliveries that are due, each the first open one of its event (head of line per event: a later
   * row waits while an earlier one is pending — being delivered or waiting for a retry — or dead), and leases them for
   * `leaseMs` (next_attempt_at moves past the lease; a worker that dies mid-call leaves the row to be taken again when the
   * lease runs out). SKIP LOCKED: two workers never claim the same row, and the NOT EXISTS keeps them off each other's events.
   */
  async claim(limit: number, leaseMs: number): Promise<GatewayDeliveryRow[]> {
    return this.db.query<GatewayDeliveryRow>(
      `WITH c AS (
         SELECT d.id FROM gateway_deliveries d
          WHERE d.state = 'pending' AND d.next_attempt_at <= now()
            AND NOT EXISTS (SELECT 1 FROM gateway_deliveries p WHERE p.event_id = d.event_id AND p.id < d.id AND p.state IN ('pending', 'dead'))
          ORDER BY d.id LIMIT $1 FOR UPDATE SKIP LOCKED)
       UPDATE gateway_deliveries g SET attempts = g.attempts + 1, next_attempt_at = now() + $2 * interval '1 millisecond'
         FROM c WHERE g.id = c.id
       RETURNING ${row('g')}`, [limit, leaseMs]);
  }

  /** Records what a round came to (only while the row is still pending: an admin's skip meanwhile stands). */
  async settle(id: string, outcome: DeliveryOutcome): Promise<void> {
    switch (outcome.kind) {
      case 'done':
        await this.db.query(`UPDATE gateway_deliveries SET state = 'done', done_at = now(), last_status = $2, last_error = NULL
          WHERE id = $1 AND state = 'pending'`, [id, outcome.status]);
        return;
      case 'dead':
        await this.db.query(`UPDATE gateway_deliveries SET state = 'dead', last_status = $2, last_error = $3 WHERE id = $1 AND state = 'pending'`,
          [id, outcome.status, outcome.error.slice(0, 1000)]);
        return;
      case 'retry':
        await this.db.query(`UPDATE gateway_deliveries SET last_status = $2, last_error = $3, next_attempt_at = now() + $4 * interval '1 millisecond'
          WHERE id = $1 AND state = 'pending'`, [id, outcome.status, outcome.error.slice(0, 1000), outcome.delayMs]);
        return;
      case 'skipped':
        await this.db.query(`UPDATE gateway_deliveries SET state = 'skipped', attempts = greatest(0, attempts - 1), last_error = $2
          WHERE id = $1 AND state = 'pending'`, [id, outcome.error.slice(0, 1000)]);
        return;
    }
  }

  /** Admin list, oldest first, keyset paged by id. */
  async list(filter: { state?: GatewayDeliveryState; kind?: GatewayDeliveryKind; eventId?: string; after?: string }, limit: number): Promise<GatewayDeliveryRow[]> {
    return this.db.query<GatewayDeliveryRow>(
      `SELECT ${ROW} FROM gateway_deliveries
        WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR kind = $2) AND ($3::uuid IS NULL OR event_id = $3)
          AND id > coalesce($4::bigint, 0)
        ORDER BY id LIMIT $5`, [filter.state ?? null, filter.kind ?? null, filter.eventId ?? null, filter.after ?? null, limit]);
  }

  async lock(sql: Sql, id: string): Promise<GatewayDeliveryRow | null> {
    return (await sql.query<GatewayDeliveryRow>(`SELECT ${ROW} FROM gateway_deliveries WHERE id = $1 FOR UPDATE`, [id]))[0] ?? null;
  }

  /** Back to pending, due now, its rounds counted afresh (the history stays in last_error and the audit log). */
  async replay(sql: Sql, id: string): Promise<GatewayDeliveryRow> {
    return (await sql.query<GatewayDeliveryRow>(
      `UPDATE gateway_deliveries SET state = 'pending', attempts = 0, next_attempt_at = now(), done_at = NULL WHERE id = $1 RETURNING ${ROW}`, [id]))[0]!;
  }

  /** Given up on by an administrator: never sent, no longer holds back its event's later deliveries. */
  async skip(sql: Sql, id: string): Promise<GatewayDeliveryRow> {
    return (await sql.query<GatewayDeliveryRow>(
      `UPDATE gateway_deliveries SET state = 'skipped', done_at = NULL WHERE id = $1 RETURNING ${ROW}`, [id]))[0]!;
  }
}
