import { Injectable } from '@nestjs/common';
import { transitionRollup } from '../stats/rollup.js';
import type { Complexity, FactsDelta, TimelineEntry, WorkflowEvent } from '#domain';
import type { ChangeView } from '#contracts';
import type { StagePlan } from '../sla/sla.service.js';
import type { Actor } from '../auth/actor.js';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';
import { EVENT_COLUMNS } from './event.model.js';
import type { EventRow, TimelineView } from './event.model.js';
import type { EventActionEntity } from './event-action.entity.js';
import type { EventEntity } from './event.entity.js';
import type { OutboxMessageEntity } from '../outbox/outbox-message.entity.js';

/**
 * Jurisdiction as SQL: the only way this repository reads events. Region-based roles see the subtree of
 * their jurisdiction code (a prefix match on an indexed code); handlers see what was ever dispatched to
 * their unit (条: a county department works across townships); a grid worker also sees their own reports.
 * `next` is the number of the first free $n placeholder.
 */
export function visibility(actor: Actor, next: number): { clause: string; params: unknown[] } {
  switch (actor.role) {
    case 'handler':
      return { clause: `e.involved_unit_codes @> ARRAY[$${next}]::text[]`, params: [actor.unitCode ?? ''] };
    case 'grid_worker':
      return { clause: `(e.region_code LIKE $${next} || '%' OR e.reporter_id = $${next + 1})`, params: [actor.jurisdictionCode, actor.id] };
    default:
      return { clause: `e.region_code LIKE $${next} || '%'`, params: [actor.jurisdictionCode] };
  }
}

/** A change as CHANGE_COLUMNS selects it: the timeline row's columns (prefixed) and the event's. */
export type ChangeRow = EventRow & { changeXid: string; changeId: EventActionEntity['id']; changeType: EventActionEntity['type'];
  changeFromStatus: EventActionEntity['fromStatus']; changeToStatus: EventActionEntity['toStatus'];
  changeFromLevel: EventActionEntity['fromLevel']; changeToLevel: EventActionEntity['toLevel']; changeAt: EventActionEntity['at'] };

/** The select list of a change (timeline row `a`, event `e`): read by the change feed and by the outbox relay. */
export const CHANGE_COLUMNS = `a.xid::text AS "changeXid", a.id::text AS "changeId", a.type AS "changeType", a.from_status AS "changeFromStatus",
  a.to_status AS "changeToStatus", a.from_level AS "changeFromLevel", a.to_level AS "changeToLevel", a.at AS "changeAt", ${EVENT_COLUMNS}`;

/** A change row as what the feed and the live messages say of the step (its position first) and the event row. */
export function splitChange(row: ChangeRow): { step: Omit<ChangeView, 'event'>; event: EventRow } {
  const { changeXid, changeId, changeType, changeFromStatus, changeToStatus, changeFromLevel, changeToLevel, changeAt, ...event } = row;
  return {
    step: { position: `${changeXid}.${changeId}`, type: changeType, fromStatus: changeFromStatus, toStatus: changeToStatus,
      fromLevel: changeFromLevel, toLevel: changeToLevel, at: changeAt.toISOString() },
    event,
  };
}

/** What a report inserts: columns of the entity, the point as longitude/latitude, and the first SLA stage's marks. */
export type NewEventRow = Pick<EventEntity, 'id' | 'countyCode' | 'categoryCode' | 'description' | 'address' | 'urgency' | 'source' | 'demo'
  | 'gridCode' | 'villageCode' | 'townshipCode' | 'suggestedUnitCode' | 'attachmentIds' | 'slaNextAt'> & {
  lng: number;
  lat: number;
  stage: StagePlan;
  /** 整体时限 under the rule in force (event_facts). */
  overallDueAt: Date | null;
};

export type OutboxMessage = Pick<OutboxMessageEntity, 'topic' | 'payload'>;

/**
 * An outbox message's payload with the change-feed position of the timeline row written beside it (`<xid>.<id>`, as
 * GET /changes has it): the relay emits `event.changed` in feed order and every live message carries that cursor.
 */
const WITH_POSITION = `(m->'payload') || jsonb_build_object('position', act.xid::text || '.' || act.id::text)`;

/** A timeline row as timeline() selects it: the action's columns and the actor's display name. */
type TimelineRow = Pick<EventActionEntity, 'type' | 'fromStatus' | 'toStatus' | 'fromLevel' | 'toLevel' | 'actorId' | 'actorRole'
  | 'unitCode' | 'note' | 'data' | 'attachmentIds' | 'at'> & { actorName: string | null; stageFact: (Omit<NonNullable<TimelineView['stageFact']>, 'dueAt'> & { dueAt: string | null }) | null };

export interface EventFilters {
  status?: string[];
  level?: string;
  regionCode?: string;
  categoryCode?: string;
  warning?: string;
  bbox?: [number, number, number, number];
  q?: string;
  updatedSince?: Date;
  cursor?: { at: Date; id: string };
  limit: number;
}

/** event_facts.span after a transition's first close, void or merge ($32, $35, $36), in the UPDATE's SET. */
const SPAN_AFTER = `CASE WHEN coalesce(f.closed_at, $32::timestamptz, f.voided_at, $35::timestamptz, f.merged_at, $36::timestamptz) IS NOT NULL
             THEN tstzrange(f.reported_at, greatest(f.reported_at, coalesce(f.closed_at, $32::timestamptz), coalesce(f.voided_at, $35::timestamptz),
               coalesce(f.merged_at, $36::timestamptz)), '[]') END`;

@Injectable()
export class EventsRepository {
  constructor(private readonly db: DbService) {}

  /** For the SLA engine (system actor): the row, locked until the transaction ends. */
  async lockForSystem(sql: Sql, id: string): Promise<EventRow | null> {
    const rows = await sql.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events e WHERE e.id = $1 FOR UPDATE`, [id]);
    return rows[0] ?? null;
  }

  async findVisible(actor: Actor, id: string, sql: Sql = this.db): Promise<EventRow | null> {
    const v = visibility(actor, 2);
    const rows = await sql.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events e WHERE e.id = $1 AND ${v.clause}`, [id, ...v.params]);
    return rows[0] ?? null;
  }

  async exists(id: string, sql: Sql = this.db): Promise<boolean> {
    return (await sql.query(`SELECT 1 FROM events WHERE id = $1`, [id])).length > 0;
  }

  /**
   * Inserts a reported event with its first timeline row and its outbox messages in one statement (one round
   * trip, atomic), guarded: it writes only if the point lies in the given grid (PostGIS), the attachments are the
   * reporter's, and the settings it was planned with are still current. Returns the row, or why nothing was written.
   */
  async insertReport(sql: Sql, row: NewEventRow, state: WorkflowEvent, entry: TimelineEntry, outbox: OutboxMessage[],
    versions: { calendar: string; rules: string; reference: string }): Promise<{ row: EventRow | null; guardOk: boolean }> {
    const rows = await sql.query<EventRow & { guardOk: boolean }>(
      `WITH guard AS (
         SELECT (SELECT version::text FROM settings_versions WHERE name = 'calendar') = $35
            AND (SELECT version::text FROM settings_versions WHERE name = 'sla_rules') = $36
            AND (SELECT version::text FROM settings_versions WHERE name = 'reference') = $37
            AND EXISTS (SELECT 1 FROM regions g WHERE g.code = $10 AND g.level = 'grid'
                         AND ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint($8, $9), 4326)))
            AND (SELECT count(*) FROM attachments a WHERE a.id = ANY($22::uuid[]) AND a.uploader_id = $20) = cardinality($22::uuid[]) AS ok
       ), ev AS (
         INSERT INTO events (id, code, category_code, description, address, urgency, source, location, region_code, grid_code,
            village_code, township_code, county_code, status, level, warning, owner_unit_code, centre_unit_code,
            suggested_unit_code, involved_unit_codes, reporter_id, resolved_on_site, attachment_ids, stage, stage_started_at,
            stage_due_at, stage_yellow_at, stage_escalate_at, sla_basis, sla_next_at, version, created_at, updated_at, demo)
         SELECT $1, $2 || to_char($28::timestamptz AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || lpad((nextval('event_code_seq') % 100000)::text, 5, '0'),
            $3, $4, $5, $6, $7, ST_SetSRID(ST_MakePoint($8, $9), 4326), $10, $10, $11, $12, $2, $13, $14, $15, $16, $17, $18,
            $19, $20, $21, $22, $23, $28, $24, $31, $32, $33, $34, $25, $28, $28, $38
           FROM guard WHERE guard.ok
         ON CONFLICT (id) DO NOTHING
         RETURNING *
       ), act AS (
         INSERT INTO event_actions (event_id, type, from_status, to_status, from_level, to_level, actor_id, actor_role, unit_code, note, data, attachment_ids, at)
         SELECT id, 'report', NULL, $13, NULL, $14, $20, $26, $30, $27, '{}'::jsonb, $22, $28 FROM ev
         RETURNING id, xid
       ), ob AS (
         INSERT INTO outbox (topic, aggregate_id, payload)
         SELECT m->>'topic', ev.id, ${WITH_POSITION} FROM ev, act, jsonb_array_elements($29::jsonb) m
       ), ef AS (
         INSERT INTO event_facts (event_id, grid_code, category_code, urgency, source, reporter_id, self_resolved, reported_at, overall_due_at,
           stage_base_due_at)
         SELECT id, grid_code, category_code, urgency, source, reporter_id, resolved_on_site, created_at, $39, stage_due_at FROM ev
       )
       SELECT guard.ok AS "guardOk", ${EVENT_COLUMNS} FROM guard LEFT JOIN ev e ON true`,
      [row.id, row.countyCode, row.categoryCode, row.description, row.address, row.urgency, row.source, row.lng, row.lat,
        row.gridCode, row.villageCode, row.townshipCode, state.status, state.level, state.warning, state.ownerUnitCode,
        state.centreUnitCode, row.suggestedUnitCode, state.involvedUnitCodes, state.reporterId, state.resolvedOnSite,
        row.attachmentIds, row.stage.stage, row.stage.dueAt, state.version, entry.actorRole, entry.note, entry.at,
        JSON.stringify(outbox), entry.unitCode, row.stage.yellowAt, row.stage.escalateAt, row.stage.basis, row.slaNextAt,
        versions.calendar, versions.rules, versions.reference, row.demo, row.overallDueAt],
      'insert_report',
    );
    const { guardOk, ...inserted } = rows[0]!;
    return { row: inserted.id ? inserted : null, guardOk: guardOk === true };
  }

  /**
   * Writes a transition: the new state guarded by the version it was computed from (optimistic lock),
   * its timeline row and its outbox messages. Returns false when the version moved on (a concurrent change).
   */
  async applyTransition(sql: Sql, id: string, fromVersion: number, state: WorkflowEvent,
    stage: StagePlan | undefined, slaNextAt: Date | null,
    entry: TimelineEntry, outbox: OutboxMessage[], facts: FactsDelta, stageStarted: boolean,
    tier: { complexity: Complexity; overallDueAt: Date | null } | null = null): Promise<boolean> {
    // a stage that starts now (not one that resumes or is extended) has its base due time recorded: the extension cap
    const updated = await sql.exec(
      `UPDATE events SET status = $3, level = $4, warning = $5, owner_unit_code = $6, centre_unit_code = $7,
          handler_unit_code = $8, support_unit_codes = $9, involved_unit_codes = $10, assignee_id = $11,
          suspended_from_status = $12, extension_requested_until = $13, extended_until = $14, merged_into_id = $15,
          urge_count = $16, supervised = $17, rework_count = $18, return_count = $19, rating = $20, closed_at = $21,
          version = $22, updated_at = $23,
          stage = CASE WHEN $24 THEN $25 ELSE stage END,
          stage_started_at = CASE WHEN $24 THEN $26::timestamptz ELSE stage_started_at END,
          stage_due_at = CASE WHEN $24 THEN $27::timestamptz ELSE stage_due_at END,
          stage_yellow_at = CASE WHEN $24 THEN $28::timestamptz ELSE stage_yellow_at END,
          stage_escalate_at = CASE WHEN $24 THEN $29::timestamptz ELSE stage_escalate_at END,
          stage_paused_at = CASE WHEN $24 THEN $30::timestamptz ELSE stage_paused_at END,
          sla_basis = CASE WHEN $24 THEN $31 ELSE sla_basis END,
          sla_next_at = $32, complexity = coalesce($33, complexity)
        WHERE id = $1 AND version = $2`,
      [id, fromVersion, state.status, state.level, state.warning, state.ownerUnitCode, state.centreUnitCode,
        state.handlerUnitCode, state.supportUnitCodes, state.involvedUnitCodes, state.assigneeId, state.suspendedFromStatus,
        state.extensionRequestedUntil, state.extendedUntil, state.mergedIntoId, state.urgeCount, state.supervised,
        state.reworkCount, state.returnCount, state.rating, state.closedAt, state.version, entry.at,
        stage !== undefined, stage?.stage ?? null, stage?.startedAt ?? null, stage?.dueAt ?? null,
        stage?.yellowAt ?? null, stage?.escalateAt ?? null, stage?.pausedAt ?? null, stage?.basis ?? null, slaNextAt, tier?.complexity ?? null],
    );
    if (updated.rowCount !== 1) return false;
    const f = facts;
    const e = f.ended;
    const lateHandle = e && e.stage === 'handle' && e.onTime === false ? 1 : 0;
    await sql.query(
      `WITH act AS (
         INSERT INTO event_actions (event_id, type, from_status, to_status, from_level, to_level, actor_id, actor_role, unit_code, note, data, attachment_ids, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         RETURNING id, xid
       ), ob AS (
         INSERT INTO outbox (topic, aggregate_id, payload)
         SELECT m->>'topic', $1, ${WITH_POSITION} FROM act, jsonb_array_elements($14::jsonb) m
       ), o AS (
         SELECT *, stage_pause_working_minutes AS pw, stage_pause_minutes AS pm FROM event_facts WHERE event_id = $1
       ), ef AS (
         UPDATE event_facts f SET
           accepted_at = coalesce(f.accepted_at, $29::timestamptz),
           dispatched_at = coalesce(f.dispatched_at, $30::timestamptz),
           wrong_dispatch_count = f.wrong_dispatch_count + CASE WHEN cardinality($31::text[]) > 0 AND f.dispatch_level = $5
             AND NOT f.handler_unit_codes @> $31::text[] THEN 1 ELSE 0 END,
           handler_unit_codes = f.handler_unit_codes || ARRAY(SELECT u FROM unnest($31::text[]) WITH ORDINALITY x(u, i)
             WHERE u <> ALL (f.handler_unit_codes) ORDER BY i),
           dispatch_level = CASE WHEN cardinality($31::text[]) > 0 THEN $5 ELSE f.dispatch_level END,
           closed_on_time = CASE WHEN f.closed_at IS NULL AND $32::timestamptz IS NOT NULL
             THEN CASE WHEN f.overall_due_at IS NOT NULL THEN $32::timestamptz <= f.overall_due_at ELSE f.late_handle_count + $47 = 0 END
             ELSE f.closed_on_time END,
           resolution_level = CASE WHEN f.closed_at IS NULL THEN $33 ELSE f.resolution_level END,
           close_unit_code = CASE WHEN f.closed_at IS NULL AND $32::timestamptz IS NOT NULL THEN $34 ELSE f.close_unit_code END,
           closed_at = coalesce(f.closed_at, $32::timestamptz),
           voided_at = coalesce(f.voided_at, $35::timestamptz),
           merged_at = coalesce(f.merged_at, $36::timestamptz),
           supervised_at = coalesce(f.supervised_at, $37::timestamptz),
           first_rating = coalesce(f.first_rating, $38::smallint),
           first_rated_at = coalesce(f.first_rated_at, $39::timestamptz),
           last_rating = coalesce($38::smallint, f.last_rating),
           rework_count = f.rework_count + $40, return_count = f.return_count + $41, buck_passing_count = f.buck_passing_count + $42,
           extension_count = f.extension_count + $43, suspend_count = f.suspend_count + $44, escalate_count = f.escalate_count + $45,
           urge_count = f.urge_count + $46, late_handle_count = f.late_handle_count + $47,
           suspended_minutes = f.suspended_minutes + $28,
           stage_pause_working_minutes = CASE WHEN $15 THEN 0 ELSE f.stage_pause_working_minutes + $27 END,
           stage_pause_minutes = CASE WHEN $15 THEN 0 ELSE f.stage_pause_minutes + $28 END,
           stage_base_due_at = CASE WHEN $48 THEN $49::timestamptz ELSE f.stage_base_due_at END,
           overall_due_at = CASE WHEN $50 THEN $51::timestamptz ELSE f.overall_due_at END,
           span = ${SPAN_AFTER}
         FROM o
         WHERE f.event_id = $1
         RETURNING o.pw, o.pm, f.*
       ), ${transitionRollup('o', 'ef', '$15', '$13::timestamptz',
         { stage: '$16::text', endedBy: '$17::text', onTime: '$24::boolean', minutes: 'greatest(0, $25::numeric - ef.pw)' })}
       INSERT INTO stage_facts (event_id, action_id, stage, ended_by, unit_code, level, grid_code, category_code, started_at, due_at,
         ended_at, basis, limit_minutes, on_time, working_minutes, warning)
       SELECT $1, act.id, $16, $17, $18, $19, ef.grid_code, ef.category_code, $20, $21, $13, $22,
              $23::numeric - CASE WHEN $22 = 'working' THEN ef.pw ELSE ef.pm END, $24, greatest(0, $25::numeric - ef.pw), $26
         FROM act, ef WHERE $15`,
      [id, entry.type, entry.fromStatus, entry.toStatus, entry.fromLevel, entry.toLevel, entry.actorId, entry.actorRole,
        entry.unitCode, entry.note, JSON.stringify(entry.data), entry.attachmentIds, entry.at, JSON.stringify(outbox),
        e !== null, e?.stage ?? null, e?.endedBy ?? null, e?.unitCode ?? null, e?.level ?? null, e?.startedAt ?? null, e?.dueAt ?? null,
        e?.basis ?? null, e?.grossLimitMinutes ?? null, e?.onTime ?? null, e?.grossWorkingMinutes ?? 0, e?.warning ?? null,
        f.pause?.workingMinutes ?? 0, f.pause?.minutes ?? 0,
        f.acceptedAt, f.dispatchedAt, f.dispatchUnits, f.closed?.at ?? null, f.closed?.level ?? null, f.closed?.unitCode ?? null,
        f.voidedAt, f.mergedAt, f.supervisedAt, f.rating?.score ?? null, f.rating?.at ?? null,
        f.rework, f.returns, f.buckPassing, f.extensions, f.suspends, f.escalations, f.urges, lateHandle,
        stageStarted, stage?.dueAt ?? null, tier !== null, tier?.overallDueAt ?? null],
    );
    return true;
  }

  async timeline(id: string): Promise<TimelineView[]> {
    const rows = await this.db.query<TimelineRow>(
      `SELECT a.type, a.from_status AS "fromStatus", a.to_status AS "toStatus", a.from_level AS "fromLevel", a.to_level AS "toLevel",
              a.actor_id AS "actorId", u.display_name AS "actorName", a.actor_role AS "actorRole", a.unit_code AS "unitCode",
              a.note, a.data, a.attachment_ids AS "attachmentIds", a.at,
              CASE WHEN s.id IS NOT NULL THEN jsonb_build_object('stage', s.stage, 'limitMinutes', s.limit_minutes::float8,
                'dueAt', s.due_at, 'onTime', s.on_time, 'warning', s.warning, 'workingMinutes', s.working_minutes::float8) END AS "stageFact"
         FROM event_actions a LEFT JOIN users u ON u.id = a.actor_id
         LEFT JOIN stage_facts s ON s.action_id = a.id AND s.event_id = a.event_id
        WHERE a.event_id = $1 ORDER BY a.id`, [id]);
    return rows.map((r) => ({ ...r, at: r.at.toISOString(),
      stageFact: r.stageFact ? { ...r.stageFact, dueAt: r.stageFact.dueAt === null ? null : new Date(r.stageFact.dueAt).toISOString() } : null }));
  }

  /** Keyset-paged list, newest first (or oldest-updated first with updatedSince, for resync). */
  /**
   * The change feed (变更流): committed timeline rows after `after`, oldest first, with the event as it is now, for the
   * events the actor may see. Rows are ordered by (writing transaction, row id) and only transactions older than every
   * transaction still running (`horizon`) are read, so a change that commits later always sorts after what was read.
   */
  async changes(actor: Actor, after: { xid: string; id: string }, limit: number): Promise<{ horizon: string; rows: ChangeRow[] }> {
    const [{ horizon }] = await this.db.query<{ horizon: string }>(`SELECT txid_snapshot_xmin(txid_current_snapshot())::text AS horizon`);
    const v = visibility(actor, 5);
    const rows = await this.db.query<ChangeRow>(
      `SELECT ${CHANGE_COLUMNS}
         FROM event_actions a JOIN events e ON e.id = a.event_id
        WHERE (a.xid, a.id) > ($1::bigint, $2::bigint) AND a.xid < $3::bigint AND ${v.clause}
        ORDER BY a.xid, a.id LIMIT $4`, [after.xid, after.id, horizon, limit, ...v.params]);
    return { horizon, rows };
  }

  async list(actor: Actor, f: EventFilters): Promise<EventRow[]> {
    const params: unknown[] = [];
    const p = (v: unknown) => { params.push(v); return `$${params.length}`; };
    const v = visibility(actor, 1);
    params.push(...v.params);
    const where = [v.clause];
    if (f.status?.length) where.push(`e.status = ANY(${p(f.status)})`);
    if (f.level) where.push(`e.level = ${p(f.level)}`);
    if (f.regionCode) where.push(`e.region_code LIKE ${p(f.regionCode)} || '%'`);
    if (f.categoryCode) where.push(f.categoryCode.length === 2 ? `e.category_code LIKE ${p(f.categoryCode)} || '%'` : `e.category_code = ${p(f.categoryCode)}`);
    if (f.warning) where.push(`e.warning = ${p(f.warning)}`);
    if (f.bbox) where.push(`e.location && ST_MakeEnvelope(${p(f.bbox[0])}, ${p(f.bbox[1])}, ${p(f.bbox[2])}, ${p(f.bbox[3])}, 4326)`);
    if (f.q) where.push(`(e.code = ${p(f.q)} OR e.description ILIKE '%' || ${p(f.q.replace(/[\\%_]/g, (c) => `\\${c}`))} || '%' OR e.address ILIKE '%' || $${params.length} || '%')`);
    let order: string;
    if (f.updatedSince) {
      where.push(`e.updated_at >= ${p(f.updatedSince)}`);
      if (f.cursor) where.push(`(e.updated_at, e.id) > (${p(f.cursor.at)}, ${p(f.cursor.id)})`);
      order = `e.updated_at ASC, e.id ASC`;
    } else {
      if (f.cursor) where.push(`(e.created_at, e.id) < (${p(f.cursor.at)}, ${p(f.cursor.id)})`);
      order = `e.created_at DESC, e.id DESC`;
    }
    return this.db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events e WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ${p(f.limit)}`, params);
  }
}
