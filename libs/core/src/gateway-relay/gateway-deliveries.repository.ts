import { Injectable } from '@nestjs/common';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';
import type { GatewayDeliveryEntity, GatewayDeliveryKind, GatewayDeliveryState } from './gateway-delivery.entity.js';
import { CASE_WORKING_ROLES, routeChange, unitsToldBy } from './gateway-routing.js';
import type { NewDelivery, OpenedTodo, OpenTodo, RoutedChange, RoutingState, UnitHandler } from './gateway-routing.js';

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
  /** `todo`: what 浙政钉 answered for a to-do, recorded with the delivery (the taskUuid a create got; a finish confirmed). */
  | { kind: 'done'; status: number; todo?: { bizTaskId: string; taskUuid: string } | { bizTaskId: string; finished: true } }
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
   *
   * In the same transaction: who the 浙政钉 notices and to-dos go to (the handlers of each unit told, as they are now —
   * the delivery's payload records exactly who), the open to-dos of the batch's events (zwdd_todos: which ones a change
   * finishes), and the to-dos opened and finished, so the table always agrees with the deliveries written.
   */
  async route(limit: number): Promise<{ changes: number; deliveries: number }> {
    return this.db.tx(async (sql) => {
      const cursor = await sql.query<{ xid: string; actionId: string }>(
        `SELECT xid::text, action_id::text AS "actionId" FROM gateway_relay_cursor WHERE name = $1 FOR UPDATE`, [ROUTER_NAME]);
      const at = cursor[0] ?? { xid: '0', actionId: '0' };
      if (!cursor[0]) await sql.query(`INSERT INTO gateway_relay_cursor (name, xid, action_id) VALUES ($1, 0, 0) ON CONFLICT DO NOTHING`, [ROUTER_NAME]);
      const rows = await sql.query<Omit<RoutedChange, 'orderNo'> & { xid: string }>(
        `SELECT a.xid::text, a.id::text AS "actionId", a.event_id AS "eventId", a.type, a.to_status AS "toStatus", a.to_level AS "toLevel",
                a.from_status AS "fromStatus", a.actor_role AS "actorRole", a.unit_code AS "actorUnitCode", a.note, a.data, a.at,
                (SELECT count(*)::int FROM event_actions b WHERE b.event_id = a.event_id AND b.id <= a.id) AS version,
                e.code, e.category_code AS "categoryCode", e.description, e.source, e.region_code AS "regionCode",
                ST_X(e.location) AS lng, ST_Y(e.location) AS lat, e.owner_unit_code AS "ownerUnitCode", e.centre_unit_code AS "centreUnitCode",
                (coalesce(c.report_to_province, false) OR EXISTS (SELECT 1 FROM gateway_deliveries g
                   WHERE g.event_id = a.event_id AND g.kind = 'province_event')) AS "reportToProvince"
           FROM event_actions a JOIN events e ON e.id = a.event_id LEFT JOIN categories c ON c.code = e.category_code
          WHERE (a.xid, a.id) > ($1::bigint, $2::bigint) AND a.xid < txid_snapshot_xmin(txid_current_snapshot())
          ORDER BY a.xid, a.id LIMIT $3`, [at.xid, at.actionId, limit]);
      if (rows.length === 0) return { changes: 0, deliveries: 0 };
      const orders = await this.orderNumbers(sql, [...new Set(rows.filter((r) => r.source === 'hotline12345').map((r) => r.eventId))]);
      const changes: RoutedChange[] = rows.map((r) => ({ ...r, orderNo: orders.get(r.eventId) ?? null }));
      const state: RoutingState = {
        handlers: await this.handlersOf(sql, unitsToldBy(changes)),
        openTodos: await this.openTodos(sql, [...new Set(changes.map((c) => c.eventId))]),
        reported: new Set(),
      };
      const deliveries: NewDelivery[] = [];
      const opened: OpenedTodo[] = [];
      const finished: { bizTaskId: string; actionId: string }[] = [];
      for (const c of changes) {
        const routed = routeChange(c, state);
        deliveries.push(...routed.deliveries);
        opened.push(...routed.opened);
        finished.push(...routed.finished);
      }
      if (deliveries.length > 0) {
        // a delivery with nobody to send it to is written skipped, with its reason (the admin console shows it)
        await sql.query(
          `INSERT INTO gateway_deliveries (event_id, action_id, kind, message_id, payload, state, last_error)
           SELECT (d->>'eventId')::uuid, (d->>'actionId')::bigint, d->>'kind', d->>'messageId', d->'payload',
                  CASE WHEN d->>'skipped' IS NULL THEN 'pending' ELSE 'skipped' END, d->>'skipped'
             FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY x(d, i) ORDER BY i
           ON CONFLICT (message_id) DO NOTHING`, [JSON.stringify(deliveries)]);
      }
      if (opened.length > 0) {
        await sql.query(
          `INSERT INTO zwdd_todos (biz_task_id, event_id, unit_code, user_id, account_id, reason, opened_action_id)
           SELECT t->>'bizTaskId', (t->>'eventId')::uuid, t->>'unitCode', (t->>'userId')::uuid, t->>'accountId', t->>'reason', (t->>'actionId')::bigint
             FROM jsonb_array_elements($1::jsonb) t
           ON CONFLICT DO NOTHING`, [JSON.stringify(opened)]);
      }
      if (finished.length > 0) {
        await sql.query(
          `UPDATE zwdd_todos z SET state = 'finished', finished_action_id = (f->>'actionId')::bigint
             FROM jsonb_array_elements($1::jsonb) f WHERE z.biz_task_id = f->>'bizTaskId' AND z.state = 'open'`, [JSON.stringify(finished)]);
      }
      const last = rows[rows.length - 1]!;
      await sql.query(`UPDATE gateway_relay_cursor SET xid = $2, action_id = $3, updated_at = now() WHERE name = $1`, [ROUTER_NAME, last.xid, last.actionId]);
      return { changes: rows.length, deliveries: deliveries.length };
    });
  }

  /**
   * The people 浙政钉 notices and to-dos of a unit go to: its users in a case-working role, not disabled, with a 浙政钉
   * account id. Read in the router's transaction: the delivery records who was told then.
   */
  private async handlersOf(sql: Sql, units: string[]): Promise<Map<string, UnitHandler[]>> {
    const map = new Map<string, UnitHandler[]>();
    if (units.length === 0) return map;
    const rows = await sql.query<UnitHandler & { unitCode: string }>(
      `SELECT unit_code AS "unitCode", id AS "userId", zwdd_account_id AS "accountId", role FROM users
        WHERE unit_code = ANY($1::text[]) AND zwdd_account_id IS NOT NULL AND NOT disabled AND role = ANY($2::text[])
        ORDER BY unit_code, zwdd_account_id`, [units, [...CASE_WORKING_ROLES]]);
    for (const { unitCode, ...h } of rows) map.set(unitCode, [...(map.get(unitCode) ?? []), h]);
    return map;
  }

  /** The open 浙政钉 to-dos of these events (in the order they were opened). */
  private async openTodos(sql: Sql, eventIds: string[]): Promise<Map<string, OpenTodo[]>> {
    const map = new Map<string, OpenTodo[]>();
    if (eventIds.length === 0) return map;
    const rows = await sql.query<OpenTodo>(
      `SELECT biz_task_id AS "bizTaskId", event_id AS "eventId", unit_code AS "unitCode", user_id AS "userId", account_id AS "accountId"
         FROM zwdd_todos WHERE event_id = ANY($1::uuid[]) AND state = 'open' ORDER BY id`, [eventIds]);
    for (const t of rows) map.set(t.eventId, [...(map.get(t.eventId) ?? []), t]);
    return map;
  }

  /** A to-do as the deliverer needs it: the taskUuid 浙政钉 gave its create (null: never created there). */
  async todo(bizTaskId: string): Promise<{ taskUuid: string | null; state: string } | null> {
    return (await this.db.query<{ taskUuid: string | null; state: string }>(
      `SELECT task_uuid AS "taskUuid", state FROM zwdd_todos WHERE biz_task_id = $1`, [bizTaskId]))[0] ?? null;
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
        if (!outcome.todo) {
          await this.db.query(`UPDATE gateway_deliveries SET state = 'done', done_at = now(), last_status = $2, last_error = NULL
            WHERE id = $1 AND state = 'pending'`, [id, outcome.status]);
          return;
        }
        // the to-do's taskUuid with the delivery, in one transaction: the finish that follows in the event's order always
        // finds it (recorded even when an administrator skipped the delivery meanwhile: the to-do exists in 浙政钉)
        await this.db.tx(async (sql) => {
          await sql.query(`UPDATE gateway_deliveries SET state = 'done', done_at = now(), last_status = $2, last_error = NULL
            WHERE id = $1 AND state = 'pending'`, [id, outcome.status]);
          const todo = outcome.todo!;
          if ('taskUuid' in todo) await sql.query(`UPDATE zwdd_todos SET task_uuid = $2, zwdd_created_at = coalesce(zwdd_created_at, now()) WHERE biz_task_id = $1`, [todo.bizTaskId, todo.taskUuid]);
          else await sql.query(`UPDATE zwdd_todos SET zwdd_finished_at = coalesce(zwdd_finished_at, now()) WHERE biz_task_id = $1`, [todo.bizTaskId]);
        });
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
