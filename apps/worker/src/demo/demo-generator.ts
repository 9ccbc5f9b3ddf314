import { randomInt } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { EventStatus, Level, Role } from '#domain';
import type { Actor, EventsService, Sql } from '#core';
import { Problem } from '#core';
import { ArrivalProcess, CATEGORY_TEMPLATES, composeReport, DemoRandom, fateOf, HOURLY_WEIGHT, nextMove, shanghaiHour,
  alternativeUnitKind } from '#core';
import type { CategoryTemplate, DemoEventState, DemoPlace, Move } from '#core';

export interface DemoGeneratorOptions {
  countyCode: string;
  seed: number;
  /** Reports per hour in the busiest hours. */
  reportsPerHour: number;
  /** Most actions taken in one step (a long pause is caught up over several steps). */
  maxActionsPerStep?: number;
  /** Refusals and progress go here (the worker's Nest logger). */
  log?: (level: 'log' | 'warn', message: string) => void;
}

/** What one step did. */
export interface StepResult {
  reported: string[];
  acted: number;
  refused: number;
}

interface CandidateRow {
  id: string;
  status: EventStatus;
  level: Level;
  categoryCode: string;
  urgency: 'normal' | 'urgent';
  returnCount: number;
  reworkCount: number;
  rating: number | null;
  resolvedOnSite: boolean;
  townshipCode: string;
  centreUnitCode: string;
  handlerUnitCode: string | null;
  suggestedUnitCode: string | null;
  reporterId: string | null;
  version: number;
  since: Date;
  updatedAt: Date;
}

const OPEN: readonly EventStatus[] = ['reported', 'accepted', 'dispatched', 'handling', 'handled'];
/** Backlog on an empty county: this many reports over the last hours, replayed in simulated steps. */
const BACKLOG_REPORTS = 40;
const BACKLOG_HOURS = 6;
const BACKLOG_STEP_MS = 5 * 60_000;
/** Share of reports filed by the township's command room (hotline, walk-ins) rather than a grid worker. */
const STAFF_SHARE = 0.1;
/** An action refused this often in the same situation is given up (logged once). */
const MAX_REFUSALS = 3;

/**
 * The living demo's generator (演示数据): files reports across the county at daytime rates and moves a share of them
 * through the workflow as the demo users would, every action through EventsService (report/act) as a real `Actor`, so
 * timelines, SLA clocks, the change feed and the outbox are the real ones. Every event it files is marked demo.
 *
 * Driven by `step(now)` with any clock: the worker's loop passes the wall clock, a test a simulated one. Stateless
 * between steps but for the arrival process and given-up actions: what to do next is read from the events.
 */
export class DemoGenerator {
  private readonly rng: DemoRandom;
  private readonly actorsById = new Map<string, Actor>();
  private readonly centreByUnit = new Map<string, Actor>();
  private readonly handlerByUnit = new Map<string, Actor>();
  private readonly gridWorkerByGrid = new Map<string, Actor>();
  private readonly departmentOf = new Map<string, string>();
  private readonly units = new Set<string>();
  private places: DemoPlace[] = [];
  private templates: CategoryTemplate[] = [];
  private arrivals?: ArrivalProcess;
  private readonly refusals = new Map<string, number>();

  constructor(private readonly events: EventsService, private readonly db: Sql, private readonly options: DemoGeneratorOptions) {
    this.rng = new DemoRandom(options.seed);
  }

  /** Loads the county's grids (with points sampled inside each polygon), demo users, categories and units. */
  async init(start: Date): Promise<void> {
    const county = this.options.countyCode;
    // ST_GeneratePoints with a seed: the same points for the same seed, each strictly inside its grid's polygon
    this.places = await this.db.query<DemoPlace>(
      `SELECT g.code AS "gridCode", t.name AS "townshipName", v.name AS "villageName",
              (SELECT json_agg(json_build_object('lng', ST_X(d.geom), 'lat', ST_Y(d.geom)) ORDER BY d.path)
                 FROM ST_Dump(ST_GeneratePoints(g.geom, 8, $2)) d) AS points
         FROM regions g
         JOIN regions v ON v.code = g.parent_code
         JOIN regions t ON t.code = left(g.code, 9)
        WHERE g.level = 'grid' AND g.code LIKE $1 || '%' AND g.geom IS NOT NULL AND NOT ST_IsEmpty(g.geom)
        ORDER BY g.code`, [county, (this.options.seed % 2_000_000_000) + 1]);
    this.places = this.places.filter((p) => p.points?.length);
    const users = await this.db.query<{ id: string; username: string; role: Role; unitCode: string | null; jurisdictionCode: string }>(
      `SELECT id, username, role, unit_code AS "unitCode", jurisdiction_code AS "jurisdictionCode" FROM users
        WHERE jurisdiction_code LIKE $1 || '%' AND NOT disabled AND NOT must_change_password
          AND role IN ('grid_worker', 'township_dispatcher', 'county_operator', 'handler')
        ORDER BY username`, [county]);
    for (const u of users) {
      const actor: Actor = { ...u, sessionId: 'demo-generator', mustChangePassword: false };
      this.actorsById.set(u.id, actor);
      if (!u.unitCode) continue;
      const byUnit = u.role === 'handler' ? this.handlerByUnit : u.role === 'grid_worker' ? null : this.centreByUnit;
      if (byUnit && !byUnit.has(u.unitCode)) byUnit.set(u.unitCode, actor);
      if (u.role === 'grid_worker' && !this.gridWorkerByGrid.has(u.jurisdictionCode)) this.gridWorkerByGrid.set(u.jurisdictionCode, actor);
    }
    const categories = await this.db.query<{ code: string; department: string | null }>(
      `SELECT code, county_department AS department FROM categories WHERE active AND is_event`);
    for (const c of categories) if (c.department) this.departmentOf.set(c.code, `${county}-${c.department}`);
    this.templates = CATEGORY_TEMPLATES.filter((t) => categories.some((c) => c.code === t.code));
    for (const u of await this.db.query<{ code: string }>(`SELECT code FROM units WHERE active AND region_code LIKE $1 || '%'`, [county])) {
      this.units.add(u.code);
    }
    if (this.places.length === 0 || this.templates.length === 0) throw new Error(`county ${county} has no grids with geometry or no demo categories`);
    this.arrivals = new ArrivalProcess(this.rng, this.options.reportsPerHour, start);
  }

  /** Files the reports that arrived up to `now` and takes the moves due by then. */
  async step(now: Date): Promise<StepResult> {
    if (!this.arrivals) throw new Error('DemoGenerator.init() first');
    return this.advance(now, this.arrivals.until(now));
  }

  /**
   * On a county without any event: a few dozen reports over the last hours, replayed step by step up to `now` (their
   * timelines in the past, so the SLA engine finds some already yellow or red). Returns null when the county has events.
   */
  async backlog(now: Date, stopped: () => boolean = () => false): Promise<StepResult | null> {
    const [any] = await this.db.query(`SELECT 1 FROM events WHERE county_code = $1 LIMIT 1`, [this.options.countyCode]);
    if (any) return null;
    const start = now.getTime() - BACKLOG_HOURS * 3600_000;
    const times: number[] = [];
    while (times.length < BACKLOG_REPORTS) {
      const t = start + Math.floor(this.rng.next() * (now.getTime() - start));
      if (this.rng.next() < HOURLY_WEIGHT[shanghaiHour(new Date(t))]!) times.push(t);
    }
    times.sort((a, b) => a - b);
    const total: StepResult = { reported: [], acted: 0, refused: 0 };
    for (let t = start + BACKLOG_STEP_MS; !stopped(); t = Math.min(t + BACKLOG_STEP_MS, now.getTime())) {
      const due = times.filter((x) => x <= t).map((x) => new Date(x));
      times.splice(0, due.length);
      const r = await this.advance(new Date(t), due);
      total.reported.push(...r.reported);
      total.acted += r.acted;
      total.refused += r.refused;
      if (t >= now.getTime()) break;
    }
    return total;
  }

  private async advance(now: Date, arrivals: Date[]): Promise<StepResult> {
    const result: StepResult = { reported: [], acted: 0, refused: 0 };
    for (const at of arrivals) {
      const id = await this.fileReport(at, result);
      if (id) result.reported.push(id);
    }
    await this.takeDueMoves(now, result);
    return result;
  }

  private async fileReport(at: Date, result: StepResult): Promise<string | null> {
    const report = composeReport(this.rng, this.places, this.templates);
    const id = uuidv7({ msecs: at.getTime(), random: this.rng.bytes16() });
    const staff = this.rng.next() < STAFF_SHARE;
    const reporter = (staff ? undefined : this.gridWorkerByGrid.get(report.gridCode)) ?? this.centreByUnit.get(`${report.gridCode.slice(0, 9)}-ZH`);
    if (!reporter) return null;
    const resolvedOnSite = reporter.role === 'grid_worker' && fateOf(this.options.seed, id, report.categoryCode) === 'self';
    try {
      await this.events.report(reporter, {
        id, categoryCode: report.categoryCode, description: report.description, address: report.address,
        location: { lng: report.lng, lat: report.lat }, resolvedOnSite,
      }, { now: at, demo: true });
      return id;
    } catch (err) {
      result.refused++;
      this.options.log?.('warn', `demo report refused (${report.categoryCode} in ${report.gridCode}): ${reason(err)}`);
      return null;
    }
  }

  /** Open demo events (and recently closed unrated ones) whose next move is due by `now`, oldest situation first. */
  private async takeDueMoves(now: Date, result: StepResult): Promise<void> {
    const rows = await this.db.query<CandidateRow>(
      `SELECT id, status, level, category_code AS "categoryCode", urgency, return_count AS "returnCount", rework_count AS "reworkCount",
              rating, resolved_on_site AS "resolvedOnSite", township_code AS "townshipCode", centre_unit_code AS "centreUnitCode",
              handler_unit_code AS "handlerUnitCode", suggested_unit_code AS "suggestedUnitCode", reporter_id AS "reporterId", version,
              COALESCE(CASE WHEN status = 'closed' THEN closed_at END, stage_started_at, updated_at) AS since,
              updated_at AS "updatedAt"
         FROM events
        WHERE demo AND county_code = $1 AND created_at <= $2
          AND (status = ANY($3::text[]) OR (status = 'closed' AND rating IS NULL AND closed_at > $2::timestamptz - interval '6 hours'))
        ORDER BY since, id`, [this.options.countyCode, now, OPEN]);
    const limit = this.options.maxActionsPerStep ?? 200;
    let taken = 0;
    for (const row of rows) {
      if (taken >= limit) break;
      const fate = fateOf(this.options.seed, row.id, row.categoryCode);
      const move = nextMove(this.options.seed, { ...row, urgent: row.urgency === 'urgent' } satisfies DemoEventState, fate);
      // not due, or changed after this step's clock (the SLA engine at the wall clock while a backlog replays the past)
      if (!move || move.dueAt > now || row.updatedAt >= now) continue;
      const situation = `${row.id}|${row.status}|${row.level}|${row.returnCount}|${row.reworkCount}|${move.type}`;
      if ((this.refusals.get(situation) ?? 0) >= MAX_REFUSALS) continue;
      // never before the event's last change (a timeline reads forward), never after the step's clock
      const at = new Date(Math.max(move.dueAt.getTime(), row.updatedAt.getTime() + 1));
      taken++;
      if (await this.take(row, move, at, situation)) result.acted++;
      else result.refused++;
    }
  }

  /** Carries one move out as the demo user who would take it; a refusal is logged and counted, never thrown. */
  private async take(row: CandidateRow, move: Move, at: Date, situation: string): Promise<boolean> {
    const actor = move.by === 'handler' ? (row.handlerUnitCode ? this.handlerByUnit.get(row.handlerUnitCode) : undefined)
      : move.by === 'reporter' ? (row.reporterId ? this.actorsById.get(row.reporterId) : undefined) ?? this.centreByUnit.get(row.centreUnitCode)
        : this.centreByUnit.get(row.centreUnitCode);
    let input: Parameters<EventsService['act']>[2] = { type: move.type, expectedVersion: row.version, note: move.note, reason: move.reason,
      pass: move.pass, score: move.score };
    if (move.type === 'dispatch') input.unitCode = this.dispatchTarget(row, move);
    if (move.type === 'merge') {
      const [target] = await this.db.query<{ id: string }>(
        `SELECT id FROM events WHERE demo AND township_code = $1 AND category_code = $2 AND id <> $3 AND created_at <= $4
            AND status IN ('accepted', 'dispatched', 'handling') ORDER BY created_at DESC, id LIMIT 1`,
        [row.townshipCode, row.categoryCode, row.id, at]);
      // nothing similar open: the dispatcher accepts it like any other
      input = target ? { ...input, targetEventId: target.id } : { type: 'accept', expectedVersion: row.version };
    }
    try {
      if (!actor) throw Problem.forbidden(`no demo user for ${move.by} of ${move.by === 'handler' ? row.handlerUnitCode : row.centreUnitCode}`);
      if (move.type === 'dispatch' && !input.unitCode) throw Problem.invalidField('unitCode', `no unit for category ${row.categoryCode}`);
      await this.events.act(actor, row.id, input, at);
      this.refusals.delete(situation);
      return true;
    } catch (err) {
      const n = (this.refusals.get(situation) ?? 0) + 1;
      this.refusals.set(situation, n);
      // a stale version (the SLA engine moved first) is ordinary: the next step reads the event again
      if (!(err instanceof Problem && err.problemType === 'urn:grid141:problem:stale-version') || n >= MAX_REFUSALS) {
        this.options.log?.('warn', `demo ${input.type} on ${row.id} refused${n >= MAX_REFUSALS ? ' (given up)' : ''}: ${reason(err)}`);
      }
      return false;
    }
  }

  /** The category's township platform (the suggested unit), another township unit after a return, a county department at county level. */
  private dispatchTarget(row: CandidateRow, move: Move): string | undefined {
    if (row.level === 'county') return this.departmentOf.get(row.categoryCode) ?? `${this.options.countyCode}-ZF`;
    if (move.alternative) {
      const alt = `${row.townshipCode}-${alternativeUnitKind(row.categoryCode)}`;
      if (this.units.has(alt)) return alt;
    }
    return row.suggestedUnitCode ?? `${row.townshipCode}-ZZ`;
  }
}

/**
 * Why an action failed: a refusal (Problem) or a database error such as a deadlock with the SLA engine; either way the
 * generator logs it and goes on (the next step reads the event again).
 */
function reason(err: unknown): string {
  if (err instanceof Problem) return err.detail;
  const e = err as { code?: string; message?: string };
  return `${e.code ? `${e.code} ` : ''}${e.message ?? String(err)}`;
}

/** A seed for a start without DEMO_SEED: different on every start. */
export const freshSeed = (): number => randomInt(1, 2 ** 31);
