import { Injectable } from '@nestjs/common';
import { authorize, createReport, deadlineInstant, extensionProblem, factsOf, nextSlaMark, OPEN_STATUSES, transition, WorkflowError } from '#domain';
import type { SlaDecision, SlaState, TransitionResult, WorkflowAction, WorkflowActor, WorkflowEffect, WorkflowEvent } from '#domain';
import { CHANGE_POSITION_PATTERN } from '#contracts';
import type { ChangePage, ChangeView, EventActionRequest, EventPage, ReportEventRequest } from '#contracts';
export type { EventPage } from '#contracts';
import { gcj02ToWgs84 } from '#domain';
import type { Actor } from '../auth/actor.js';
import { AppConfig } from '../config/app-config.js';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';
import { Problem } from '../problem/problem.js';
import { SlaService } from '../sla/sla.service.js';
import { SETTINGS_VERSIONS_SQL } from '../sla/sla.service.js';
import { newSlaSubject, overallDue, ruleFor, superviseAt } from '../sla/sla.service.js';
import type { RuleSubject, SlaSettings, StageChange, StagePlan } from '../sla/sla.service.js';
import { SlaTimers } from '../sla/sla-timers.js';
import { countyCentreCode, townshipCentreCode, UnitsRepository } from '../units/units.repository.js';
import { EVENT_COLUMNS, toSlaState, toWorkflowEvent } from './event.model.js';
import type { EventDetailView, EventRow, EventSource, EventView } from './event.model.js';
import { EventsRepository, splitChange } from './events.repository.js';
import { EventViews } from './event-views.js';
import { RoutingCache } from './routing.cache.js';
import type { EventFilters, OutboxMessage } from './events.repository.js';

interface PreparedReport {
  actor: Actor;
  input: ReportEventRequest;
  lng: number;
  lat: number;
  now: Date;
  source: EventSource;
  demo: boolean;
  attach?: ReportOptions['attach'];
}

/** How a report was filed, beyond its content: the clock (tests) and the living demo's mark. */
export interface ReportOptions {
  now?: Date;
  /** Filed by the demo generator (演示数据). */
  demo?: boolean;
  /** The door the report came through (an intake adapter: Open311, 12345…); by default the reporter's role tells (grid/staff). */
  source?: EventSource;
  /**
   * The door's own record of the report (an Open311 request's contact, a 12345 work order), written in the transaction
   * that writes the event: both or neither. Not called for a resent report (the event exists already).
   */
  attach?: (sql: Sql, event: EventRow) => Promise<void>;
}

interface ReportContext {
  exists: boolean;
  grid: string | null;
  village: string | null;
  township: string | null;
  county: string | null;
  categoryOk: boolean;
  defaultUrgency: 'normal' | 'urgent' | null;
  suggestedUnitCode: string | null;
  centre: string | null;
  calendarVersion: string;
  rulesVersion: string;
  referenceVersion: string;
}

/** A committed-to-be transition: the new row and the SLA wake-up to move. */
export interface Applied {
  row: EventRow;
  previousMark: Date | null;
  nextMark: Date | null;
}


const POSITION = new RegExp(CHANGE_POSITION_PATTERN);

/** A change-feed position `<transaction>.<row>` (the API's DTO checks the same pattern before it gets here). */
export function parsePosition(position: string): { xid: bigint; id: bigint } {
  if (!POSITION.test(position)) throw Problem.invalidField('after', 'not a change-feed position returned by this API', 400);
  const [xid, id] = position.split('.') as [string, string];
  return { xid: BigInt(xid), id: BigInt(id) };
}

const comparePositions = (a: { xid: bigint; id: bigint }, b: { xid: bigint; id: bigint }) =>
  (a.xid === b.xid ? (a.id === b.id ? 0 : a.id > b.id ? 1 : -1) : a.xid > b.xid ? 1 : -1);

const REPORTER_ROLES = new Set(['grid_worker', 'township_dispatcher', 'county_operator']);

/** Maps a domain refusal to the HTTP problem a client can act on. */
export function problemOf(err: WorkflowError): Problem {
  switch (err.code) {
    case 'action_not_allowed':
      return new Problem(409, 'Conflict', err.message, [], 'urn:grid141:problem:action-not-allowed');
    case 'role_not_allowed':
    case 'unit_not_allowed':
      return new Problem(403, 'Forbidden', err.message, [], `urn:grid141:problem:${err.code.replace(/_/g, '-')}`);
    case 'invalid_action':
      return Problem.invalidField(err.field ?? 'type', err.message);
  }
}

/** What every change announces: the live map, the provincial relay and notices read the outbox. */
function outboxOf(eventId: string, regionCode: string, result: TransitionResult): OutboxMessage[] {
  const e = result.event;
  const messages: OutboxMessage[] = [{
    topic: 'event.changed',
    payload: { eventId, type: result.timeline.type, status: e.status, level: e.level, warning: e.warning, regionCode,
      ownerUnitCode: e.ownerUnitCode, version: e.version, at: result.timeline.at },
  }];
  for (const effect of result.effects) {
    if (effect.kind === 'notify') messages.push({ topic: 'unit.notify', payload: { eventId, unitCode: effect.unitCode, reason: effect.topic } });
  }
  return messages;
}

const workflowActor = (actor: Actor): WorkflowActor => ({ id: actor.id, role: actor.role, unitCode: actor.unitCode });

/** The policy's view of an event: its marks, plus when a red stage is put under 督办 by the rule in force. */
export function slaStateWith(settings: SlaSettings, subject: RuleSubject,
  state: Pick<WorkflowEvent, 'status' | 'level' | 'warning' | 'supervised'>, marks: Parameters<typeof toSlaState>[1]): SlaState {
  return { ...toSlaState(state, marks), supervised: state.supervised, superviseAt: superviseAt(settings, subject, marks.dueAt) };
}

function stageEffect(effects: WorkflowEffect[]) {
  return effects.find((f): f is Extract<WorkflowEffect, { kind: 'stage' }> => f.kind === 'stage');
}

/**
 * Application logic of events (事件): report, act (every transition through one door), read.
 * Each change is: load (jurisdiction applied) → pure transition → one transaction writing the row
 * (version-guarded), its timeline row and its outbox messages.
 */
@Injectable()
export class EventsService {
  constructor(
    private readonly config: AppConfig,
    private readonly db: DbService,
    private readonly events: EventsRepository,
    private readonly units: UnitsRepository,
    private readonly sla: SlaService,
    private readonly timers: SlaTimers,
    private readonly routing: RoutingCache,
    private readonly views: EventViews,
  ) {}

  /** Report (上报). Returns the event and whether it was created now (false: a resent report). */
  async report(actor: Actor, input: ReportEventRequest, options: ReportOptions = {}, attempt = 1): Promise<{ created: boolean; event: EventView }> {
    const now = options.now ?? new Date();
    if (!REPORTER_ROLES.has(actor.role)) throw Problem.forbidden(`role ${actor.role} cannot report events`);
    const [lng, lat] = input.location.crs === 'gcj02' ? gcj02ToWgs84(input.location.lng, input.location.lat) : [input.location.lng, input.location.lat];
    const report: PreparedReport = { actor, input, lng, lat, now, source: options.source ?? (actor.role === 'grid_worker' ? 'grid' : 'staff'), demo: options.demo ?? false,
      attach: options.attach };

    // Fast path: routing from the in-memory snapshot, one guarded statement (the database confirms grid and versions).
    const fast = await this.reportFromSnapshot(report);
    if (fast !== 'fallback') return fast;

    // Ordinary path: read the routing from PostgreSQL (and explain what is wrong, if anything), then insert.
    const [ctx] = await this.db.query<ReportContext>(
      `WITH g AS (
         SELECT g.code AS grid, g.parent_code AS village, left(g.code, 9) AS township, left(g.code, 6) AS county
           FROM regions g
          WHERE g.level = 'grid' AND g.code LIKE $4 || '%' AND ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint($2, $3), 4326))
          ORDER BY g.code LIMIT 1)
       SELECT EXISTS (SELECT 1 FROM events WHERE id = $1) AS "exists", g.grid, g.village, g.township, g.county,
              c.code IS NOT NULL AS "categoryOk", c.default_urgency AS "defaultUrgency",
              (SELECT u.code FROM units u WHERE u.region_code = g.township AND u.type = 'township_platform' AND u.active
                  AND u.platform_type_code = c.platform_type_code ORDER BY u.code LIMIT 1) AS "suggestedUnitCode",
              (SELECT u.code FROM units u WHERE u.code = g.township || '-ZH' AND u.active) AS centre,
              ${SETTINGS_VERSIONS_SQL}
         FROM (SELECT 1) one
         LEFT JOIN g ON true
         LEFT JOIN categories c ON c.code = $5 AND c.active AND c.is_event`,
      [input.id, lng, lat, this.config.COUNTY_CODE, input.categoryCode], 'report_context');
    if (ctx!.referenceVersion !== this.routing.version) this.routing.invalidate();
    if (!ctx!.exists) {
      if (!ctx!.grid) throw Problem.invalidField('location', `point (${lng}, ${lat}) is outside county ${this.config.COUNTY_CODE}`);
      if (!ctx!.categoryOk) throw Problem.invalidField('categoryCode', `unknown or inactive event category ${input.categoryCode}`);
      if (!ctx!.centre) throw Problem.invalidField('location', `township ${ctx!.township} has no command room (${townshipCentreCode(ctx!.township!)})`);
      await this.checkAttachments(this.db, actor, input.attachmentIds ?? []);
      const settings = await this.sla.settings(this.db, { calendar: ctx!.calendarVersion, rules: ctx!.rulesVersion });
      const inserted = await this.insertReport(report, {
        grid: ctx!.grid, centre: ctx!.centre, suggestedUnitCode: ctx!.suggestedUnitCode, defaultUrgency: ctx!.defaultUrgency!,
      }, settings, { calendar: ctx!.calendarVersion, rules: ctx!.rulesVersion, reference: ctx!.referenceVersion });
      // settings changed between the read and the write: plan again with the new ones
      if (inserted === 'refused') {
        if (attempt >= 3) throw new Problem(503, 'Service Unavailable', 'settings keep changing; retry the report');
        return this.report(actor, input, { ...options, now }, attempt + 1);
      }
      if (inserted) return inserted;
    }
    return this.existingReport(actor, input.id);
  }

  /** The fast path; 'fallback' whenever the snapshot cannot answer or turns out stale. */
  private async reportFromSnapshot(report: PreparedReport): Promise<{ created: boolean; event: EventView } | 'fallback'> {
    const versions = this.sla.cachedVersions();
    const settings = this.sla.cachedSettings();
    if (!versions || !settings) return 'fallback';
    const snap = await this.routing.get();
    const grid = snap.grids.find(report.lng, report.lat);
    const category = snap.categories.get(report.input.categoryCode);
    if (!grid || !category) return 'fallback';
    const township = grid.slice(0, 9);
    const centre = townshipCentreCode(township);
    if (!snap.centres.has(centre)) return 'fallback';
    const outcome = await this.insertReport(report, {
      grid, centre, suggestedUnitCode: category.platform ? snap.platformUnits.get(`${township}|${category.platform}`) ?? null : null,
      defaultUrgency: category.defaultUrgency,
    }, settings, { ...versions, reference: snap.version });
    if (outcome === 'refused') {
      // Without attachments only stale routing can fail the guard; with them, the ordinary path tells (it names an
      // attachment that is not the reporter's, or finds the reference version moved on and refreshes the snapshot).
      if ((report.input.attachmentIds ?? []).length === 0) this.routing.invalidate();
      return 'fallback';
    }
    return outcome ?? this.existingReport(report.actor, report.input.id);
  }

  /** Builds the new event with the domain, plans its first stage and writes it; null when the id already exists. */
  private async insertReport(report: PreparedReport, route: { grid: string; centre: string; suggestedUnitCode: string | null; defaultUrgency: 'normal' | 'urgent' },
    settings: SlaSettings, versions: { calendar: string; rules: string; reference: string }): Promise<{ created: true; event: EventView } | null | 'refused'> {
    const { actor, input, now } = report;
    const attachmentIds = input.attachmentIds ?? [];
    const result = createReport({ reporterId: actor.id, centreUnitCode: route.centre, resolvedOnSite: input.resolvedOnSite ?? false,
      note: input.description, attachmentIds }, workflowActor(actor), now);
    const urgency = input.urgency ?? route.defaultUrgency;
    const stage = this.sla.planWith(settings, newSlaSubject(input.categoryCode, urgency), stageEffect(result.effects)?.stage ?? null, now, 'start');
    const slaNextAt = nextSlaMark(slaStateWith(settings, { categoryCode: input.categoryCode, urgency }, result.event, stage));
    const write = (sql: Sql) => this.events.insertReport(sql, {
      id: input.id, countyCode: route.grid.slice(0, 6), categoryCode: input.categoryCode, description: input.description,
      address: input.address ?? null, urgency, source: report.source, demo: report.demo, lng: report.lng, lat: report.lat, gridCode: route.grid,
      villageCode: route.grid.slice(0, 12), townshipCode: route.grid.slice(0, 9), suggestedUnitCode: route.suggestedUnitCode, attachmentIds,
      stage, slaNextAt, overallDueAt: overallDue(settings, { categoryCode: input.categoryCode, urgency }, now),
    }, result.event, result.timeline, outboxOf(input.id, route.grid, result), versions);
    // one statement on its own; with the door's record, one transaction for both
    const { row, guardOk } = report.attach
      ? await this.db.tx(async (sql) => {
        const written = await write(sql);
        if (written.row) await report.attach!(sql, written.row);
        return written;
      })
      : await write(this.db);
    if (!guardOk) return 'refused';
    if (!row) return null;
    this.timers.reschedule(row.id, null, slaNextAt);
    const [event] = await this.views.forActor(actor, [row], now, this.db, { settings, reference: versions.reference, fresh: true });
    return { created: true, event: event! };
  }

  /** A resent report (or a concurrent duplicate that won the race): the existing event, if the caller may see it. */
  private async existingReport(actor: Actor, id: string): Promise<{ created: boolean; event: EventView }> {
    const row = await this.events.findVisible(actor, id);
    if (!row) throw Problem.conflict(`event id ${id} is already used by another report`, 'urn:grid141:problem:id-taken');
    return { created: false, event: await this.view(actor, row) };
  }

  async get(actor: Actor, id: string): Promise<EventDetailView> {
    const row = await this.events.findVisible(actor, id);
    if (!row) throw Problem.notFound(`event ${id}`);
    return { ...(await this.view(actor, row)), timeline: await this.events.timeline(id) };
  }

  /** The API shape, with the time left in the current stage (counted in working or natural time). */
  private async view(actor: Actor, row: EventRow): Promise<EventView> {
    const [view] = await this.views.forActor(actor, [row]);
    return view!;
  }

  async list(actor: Actor, filters: Omit<EventFilters, 'cursor'> & { cursor?: string }): Promise<EventPage> {
    let cursor: EventFilters['cursor'];
    if (filters.cursor) {
      const [at, id] = Buffer.from(filters.cursor, 'base64url').toString().split('|');
      const atDate = new Date(at ?? '');
      if (!id || Number.isNaN(atDate.getTime())) throw Problem.invalidField('cursor', 'not a cursor returned by this API', 400);
      cursor = { at: atDate, id };
    }
    const rows = await this.events.list(actor, { ...filters, cursor, limit: filters.limit + 1 });
    const page = rows.slice(0, filters.limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > filters.limit && last
      ? Buffer.from(`${(filters.updatedSince ? last.updatedAt : last.createdAt).toISOString()}|${last.id}`).toString('base64url')
      : null;
    return { items: await this.views.forActor(actor, page), nextCursor };
  }

  /**
   * The change feed (变更流): what changed after `after`, oldest first, for the events the actor may see now. Without
   * `after` the answer is empty and its cursor is the head: read the current state (GET /events), then follow from it.
   * A page that is not full moves the cursor up to the horizon, past rows the actor may not see.
   */
  async changes(actor: Actor, after: string | undefined, limit: number): Promise<ChangePage> {
    const start = after ? parsePosition(after) : { xid: 0n, id: 0n };
    const { horizon, rows } = await this.events.changes(actor, { xid: String(start.xid), id: String(start.id) }, after ? limit : 0);
    const split = rows.map(splitChange);
    const views = await this.views.forActor(actor, split.map((s) => s.event));
    const items = split.map((s, i): ChangeView => ({ ...s.step, event: views[i]! }));
    const head = { xid: BigInt(horizon), id: 0n };
    const last = rows[rows.length - 1];
    const next = after && rows.length === limit && last ? { xid: BigInt(last.changeXid), id: BigInt(last.changeId) }
      : comparePositions(head, start) > 0 ? head : start;
    return { items, nextCursor: `${next.xid}.${next.id}` };
  }

  /** The one door for every transition (流转). */
  async act(actor: Actor, id: string, input: EventActionRequest, now = new Date()): Promise<EventView> {
    const applied = await this.db.tx(async (sql) => {
      const row = await this.events.findVisible(actor, id, sql);
      if (!row) throw Problem.notFound(`event ${id}`);
      if (input.expectedVersion !== undefined && input.expectedVersion !== row.version) {
        throw Problem.conflict(`event ${id} is at version ${row.version}, not ${input.expectedVersion}: reload and retry`, 'urn:grid141:problem:stale-version');
      }
      const wfActor = workflowActor(actor);
      // State, role and unit come first (the domain's order); references in the payload are checked after.
      this.domain(() => authorize(toWorkflowEvent(row), input.type, wfActor));
      const action = await this.resolve(sql, actor, row, input, now);
      return this.apply(sql, row, action, wfActor, now);
    });
    this.timers.reschedule(id, applied.previousMark, applied.nextMark);
    return this.view(actor, applied.row);
  }

  /**
   * The SLA engine's door (system actor 系统): applies what the time-limit policy decided for a locked row,
   * each decision one transition through the same workflow. Returns the rows' marks for rescheduling.
   */
  async applySystem(sql: Sql, row: EventRow, decisions: SlaDecision[], now: Date): Promise<Applied | null> {
    const system: WorkflowActor = { id: null, role: 'system', unitCode: null };
    let current = row;
    let last: Applied | null = null;
    const firstMark = row.slaNextAt;
    for (const d of decisions) {
      const action: WorkflowAction = d.kind === 'warn' ? { type: 'warn', warning: d.warning }
        : d.kind === 'urge' ? { type: 'urge', note: d.note }
          : d.kind === 'supervise' ? { type: 'supervise', note: d.note }
            : { type: 'escalate', reason: d.reason, unitCode: this.nextCentre(current) };
      const applied: Applied = await this.apply(sql, current, action, system, now);
      last = { ...applied, previousMark: firstMark };
      current = applied.row;
    }
    return last;
  }

  /** Applies a transition to a loaded row inside a transaction; used by users' actions and by SLA automation. */
  async apply(sql: Sql, row: EventRow, action: WorkflowAction, actor: WorkflowActor, now: Date): Promise<Applied> {
    const before = toWorkflowEvent(row);
    const result = this.domain(() => transition(before, action, actor, now));
    const effect = stageEffect(result.effects);
    const settings = await this.sla.settings(sql);
    // 受理 may classify the case (复杂程度): the stages it starts run under the rule of the new tier
    const complexity = action.type === 'accept' && action.complexity ? action.complexity : null;
    const subject = complexity ? { ...row, complexity } : row;
    let stage: StagePlan | undefined;
    let change: StageChange | undefined;
    if (effect) {
      change = action.type === 'suspend' ? 'pause' : action.type === 'resume' ? 'resume'
        : action.type === 'approve_extension' ? 'extend' : 'start';
      stage = this.sla.planWith(settings, { ...subject, extendedUntil: result.event.extendedUntil }, effect.stage, now, change);
    }
    const marks = stage ?? { stage: row.stage, yellowAt: row.stageYellowAt, dueAt: row.stageDueAt, escalateAt: row.stageEscalateAt, pausedAt: row.stagePausedAt };
    const nextMark = nextSlaMark(slaStateWith(settings, subject, result.event, marks));
    // the facts of evaluation, in the same transaction: the stage this ended, the quality counters
    const facts = factsOf(settings.calendar, before, { stage: row.stage, basis: row.slaBasis, startedAt: row.stageStartedAt,
      dueAt: row.stageDueAt, pausedAt: row.stagePausedAt }, action, result, change, now);
    const ok = await this.events.applyTransition(sql, row.id, row.version, result.event, stage, nextMark, result.timeline,
      outboxOf(row.id, row.regionCode, result), facts, change === 'start',
      // 整体时限 from the report again, under the new tier's rule (a case classified 复杂 gets the longer overall limit)
      complexity ? { complexity, overallDueAt: overallDue(settings, subject, row.createdAt) } : null);
    if (!ok) throw Problem.conflict(`event ${row.id} was changed by someone else: reload and retry`, 'urn:grid141:problem:stale-version');
    const [fresh] = await sql.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events e WHERE e.id = $1`, [row.id]);
    return { row: fresh!, previousMark: row.slaNextAt, nextMark };
  }

  private nextCentre(row: EventRow): string | undefined {
    if (row.level === 'county') return undefined;
    return row.level === 'village' ? townshipCentreCode(row.townshipCode) : countyCentreCode(row.countyCode);
  }

  /** Runs a domain call, turning its refusals into the HTTP problems clients act on. */
  private domain<T>(call: () => T): T {
    try {
      return call();
    } catch (err) {
      if (err instanceof WorkflowError) throw problemOf(err);
      throw err;
    }
  }

  /** Fills in what the application knows (next level's centre) and checks references against the database. */
  private async resolve(sql: Sql, actor: Actor, row: EventRow, input: EventActionRequest, now: Date): Promise<WorkflowAction> {
    const action: WorkflowAction = { ...input };
    delete (action as { expectedVersion?: number }).expectedVersion;
    if (input.type === 'dispatch') {
      for (const [field, code] of [['unitCode', input.unitCode], ...(input.supportUnitCodes ?? []).map((c, i) => [`supportUnitCodes[${i}]`, c])] as [string, string | undefined][]) {
        if (code === undefined) continue;
        await this.checkDispatchTarget(sql, row, field, code);
      }
    }
    if (input.type === 'escalate') action.unitCode = this.nextCentre(row);
    if (input.type === 'merge' && input.targetEventId !== undefined) {
      if (input.targetEventId === row.id) throw Problem.invalidField('targetEventId', 'an event cannot be merged into itself');
      const target = await this.events.findVisible(actor, input.targetEventId, sql);
      if (!target) throw Problem.invalidField('targetEventId', `event ${input.targetEventId} not found`);
      if (!OPEN_STATUSES.includes(target.status)) throw Problem.invalidField('targetEventId', `event ${target.code} is ${target.status} and cannot take duplicates`);
    }
    if (input.type === 'request_extension' && typeof input.until === 'string') await this.checkExtension(sql, row, input.until, now);
    await this.checkAttachments(sql, actor, input.attachmentIds ?? []);
    return action;
  }

  /**
   * 延期: asked before the handling stage is due, to a later time, within the rule's cap (max_extension_days natural days
   * in all beyond the stage's due time before its first extension). A date means 17:30 Asia/Shanghai of that day.
   */
  private async checkExtension(sql: Sql, row: EventRow, untilText: string, now: Date): Promise<void> {
    const until = new Date(deadlineInstant(untilText));
    if (Number.isNaN(until.getTime())) return; // the domain names the malformed field
    const settings = await this.sla.settings(sql);
    const [facts] = await sql.query<{ baseDue: Date | null }>(`SELECT stage_base_due_at AS "baseDue" FROM event_facts WHERE event_id = $1`, [row.id]);
    const problem = extensionProblem({ now, dueAt: row.stageDueAt, originalDueAt: facts?.baseDue ?? null, until,
      maxDays: ruleFor(settings, row)?.maxExtensionDays });
    if (problem) throw Problem.invalidField('until', problem);
  }

  private async checkDispatchTarget(sql: Sql, row: EventRow, field: string, code: string): Promise<void> {
    const unit = await this.units.get(code, sql);
    if (!unit || !unit.active) throw Problem.invalidField(field, `unknown unit ${code}`);
    const ok = row.level === 'county'
      ? unit.type === 'county_department' && unit.regionCode === row.countyCode
      : (unit.type === 'township_platform' || unit.type === 'township_station') && unit.regionCode === row.townshipCode;
    if (!ok) throw Problem.invalidField(field, `unit ${code} (${unit.name}) cannot take ${row.level}-level events of ${row.level === 'county' ? row.countyCode : row.townshipCode}`);
  }

  private async checkAttachments(sql: Sql, actor: Actor, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const found = await sql.query<{ id: string }>(`SELECT id FROM attachments WHERE id = ANY($1::uuid[]) AND uploader_id = $2`, [ids, actor.id]);
    const have = new Set(found.map((r) => r.id));
    const missing = ids.findIndex((i) => !have.has(i));
    if (missing >= 0) throw Problem.invalidField(`attachmentIds[${missing}]`, `attachment ${ids[missing]} not found among your uploads`);
  }
}
