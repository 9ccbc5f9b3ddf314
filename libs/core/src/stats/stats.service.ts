import { Injectable } from '@nestjs/common';
import ExcelJS from 'exceljs';
import { rate } from '#domain';
import { RANKING_INDICATORS } from '#contracts';
import type { RankingRow, Repeats, StatsFigures, StatsRankings, StatsSummary, StatsTrend, StatsWeightView, TopCategories } from '#contracts';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { AppConfig } from '../config/app-config.js';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';
import { visibility } from '../events/events.repository.js';
import { Problem } from '../problem/problem.js';

export type RankingKind = 'township' | 'department' | 'grid_worker';
export type Bucket = 'day' | 'week' | 'month';
export interface StatsQuery { regionCode?: string; unitCode?: string; from?: string; to?: string }

const DAY_MS = 86_400_000;
const OFFSET_MS = 8 * 3_600_000; // Asia/Shanghai, no DST

/** 'YYYY-MM-DD' of an instant in Asia/Shanghai. */
export const shanghaiDay = (t: Date) => new Date(t.getTime() + OFFSET_MS).toISOString().slice(0, 10);
/** The instant an Asia/Shanghai day starts. */
export const dayStart = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) - OFFSET_MS);
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
const daysBetween = (a: string, b: string) => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);

/** Raw counts of one group, as the two fact queries return them. */
export interface FactCounts {
  reported: number; accepted: number; dispatched: number; closed: number; closedOnTime: number; firstTime: number;
  closedDispatched: number; returned: number; wrong: number; rated: number; satisfied: number; dueToClose: number;
  closedOfReported: number; village: number; township: number; county: number; voidedReports: number; selfResolved: number;
  acceptDue: number; acceptOnTime: number; signDue: number; signOnTime: number; handleDue: number; handleOnTime: number;
  handleCount: number; handleMinutes: number;
}

const ZERO: FactCounts = { reported: 0, accepted: 0, dispatched: 0, closed: 0, closedOnTime: 0, firstTime: 0, closedDispatched: 0,
  returned: 0, wrong: 0, rated: 0, satisfied: 0, dueToClose: 0, closedOfReported: 0, village: 0, township: 0, county: 0,
  voidedReports: 0, selfResolved: 0, acceptDue: 0, acceptOnTime: 0, signDue: 0, signOnTime: 0, handleDue: 0, handleOnTime: 0,
  handleCount: 0, handleMinutes: 0 };

/** The period figures from raw counts (open and overdue are the caller's: now, or null). */
export function figuresOf(c: FactCounts): Omit<StatsFigures, 'open' | 'overdue'> {
  return {
    reported: c.reported, accepted: c.accepted, dispatched: c.dispatched, closed: c.closed,
    onTimeAcceptRate: rate(c.acceptOnTime, c.acceptDue),
    onTimeSignRate: rate(c.signOnTime, c.signDue),
    onTimeHandleRate: rate(c.handleOnTime, c.handleDue),
    onTimeCloseRate: rate(c.closedOnTime, c.closed),
    closeRate: rate(c.closedOfReported, c.dueToClose),
    firstTimeRate: rate(c.firstTime, c.closed),
    returnRate: rate(c.returned, c.closedDispatched),
    wrongDispatchRate: rate(c.wrong, c.closedDispatched),
    satisfactionRate: rate(c.satisfied, c.rated),
    avgHandleWorkingHours: c.handleCount > 0 ? Math.round((c.handleMinutes / c.handleCount / 60) * 100) / 100 : null,
    resolvedByLevel: { village: rate(c.village, c.closed), township: rate(c.township, c.closed), county: rate(c.county, c.closed) },
  };
}

/**
 * A group key over the facts: the SQL expression for event_facts (f) and for stage_facts (s); null = one group. With
 * `rollup`, a region scope reads the rollup instead: the key over stats_daily (d) and over event_facts (f) by the report.
 */
interface Grouping { ef: string; sf: string | null; rollup?: RollupGrouping }
interface RollupGrouping { daily: string; facts: string }

/** FactCounts fields read from stats_daily, with their columns. */
const ROLLUP_READ: [keyof FactCounts | 'reportedClosed' | 'reportedVoided', string][] = [
  ['reported', 'reported'], ['selfResolved', 'self_resolved'], ['reportedClosed', 'reported_closed'], ['reportedVoided', 'reported_voided'],
  ['accepted', 'accepted'], ['dispatched', 'dispatched'], ['closed', 'closed'], ['closedOnTime', 'closed_on_time'],
  ['firstTime', 'first_time'], ['closedDispatched', 'closed_dispatched'], ['returned', 'returned'], ['wrong', 'wrong'],
  ['village', 'level_village'], ['township', 'level_township'], ['county', 'level_county'], ['rated', 'rated'], ['satisfied', 'satisfied'],
  ['acceptDue', 'accept_due'], ['acceptOnTime', 'accept_on_time'], ['signDue', 'sign_due'], ['signOnTime', 'sign_on_time'],
  ['handleDue', 'handle_due'], ['handleOnTime', 'handle_on_time'], ['handleCount', 'handle_count'], ['handleMinutes', 'handle_minutes'],
];
const BY_DAY: RollupGrouping = { daily: `to_char(d.day, 'YYYY-MM-DD')`, facts: `to_char(f.reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')` };
const BY_TOWNSHIP: RollupGrouping = { daily: `d.township_code`, facts: `left(f.grid_code, 9)` };

/**
 * Figures for evaluation (考核评价) and 晾晒 from the recorded facts only. Any staff member of the county may read the
 * figures of any region or unit of it (晾晒 is published side by side); the cases behind a figure (回头件) only within
 * the caller's jurisdiction.
 */
@Injectable()
export class StatsService {
  constructor(private readonly config: AppConfig, private readonly db: DbService, private readonly audit: AuditService) {}

  /** Validates a period (default: this month to today) and a scope (default: the caller's). */
  period(q: { from?: string; to?: string }, maxDays = 3660): { from: string; to: string } {
    const today = shanghaiDay(new Date());
    const to = q.to ?? today;
    const from = q.from ?? `${to.slice(0, 7)}-01`;
    if (from > to) throw Problem.invalidField('from', `from (${from}) is after to (${to})`);
    if (daysBetween(from, to) >= maxDays) throw Problem.invalidField('from', `the period may span at most ${maxDays} days`);
    return { from, to };
  }

  private async scope(actor: Actor, q: StatsQuery, sql: Sql = this.db): Promise<StatsSummary['scope']> {
    const county = this.config.COUNTY_CODE;
    if (q.unitCode) {
      const [u] = await sql.query<{ name: string; region: string }>(`SELECT name, region_code AS region FROM units WHERE code = $1`, [q.unitCode]);
      if (!u || !u.region.startsWith(county)) throw Problem.invalidField('unitCode', `unknown unit ${q.unitCode}`);
      if (q.regionCode) throw Problem.invalidField('regionCode', 'give either regionCode or unitCode');
      return { regionCode: null, unitCode: q.unitCode, name: u.name };
    }
    const regionCode = q.regionCode ?? (actor.role === 'handler' && actor.unitCode ? null : actor.jurisdictionCode);
    if (regionCode === null) return this.scope(actor, { ...q, unitCode: actor.unitCode! }, sql);
    if (!regionCode.startsWith(county)) throw Problem.invalidField('regionCode', `region ${regionCode} is not in county ${county}`);
    const [r] = await sql.query<{ name: string }>(`SELECT name FROM regions WHERE code = $1`, [regionCode]);
    if (!r) throw Problem.invalidField('regionCode', `unknown region ${regionCode}`);
    return { regionCode, unitCode: null, name: r.name };
  }

  /**
   * Raw counts per group for the period [from, to] (Asia/Shanghai days), within a scope. Two statements: the case facts
   * and the stage facts, each one pass with FILTERs.
   */
  async counts(scope: Pick<StatsSummary['scope'], 'regionCode' | 'unitCode'>, from: string, to: string, group: Grouping | null,
    sql: Sql = this.db): Promise<Map<string, FactCounts>> {
    if (!scope.unitCode && scope.regionCode && scope.regionCode.length <= 9 && (group === null || group.rollup)) return this.rollupCounts(scope.regionCode, from, to, group?.rollup ?? null, sql);
    return this.factCounts(scope, from, to, group, sql);
  }

  /**
   * Raw counts per group from the rollup (stats_daily: facts per day and township) for the county or a township: one
   * read of at most days × townships rows (lower(span) = reported_at, so the planner uses the span index alone), and one GiST lookup of the period's reports closed, voided or merged after its end (the rollup
   * counts a report's close on its report day whenever it came: those after the period must not count as 结案 by its end).
   */
  async rollupCounts(regionCode: string, from: string, to: string, group: RollupGrouping | null, sql: Sql = this.db): Promise<Map<string, FactCounts>> {
    const params = [from, to, regionCode];
    const rows = await sql.query<Record<string, string | number>>(
      `SELECT ${group ? group.daily : `''`} AS key, ${ROLLUP_READ.map(([field, col]) => `sum(d.${col})::${field === 'handleMinutes' ? 'float8' : 'int'} AS "${field}"`).join(', ')}
         FROM stats_daily d WHERE d.day >= $1::date AND d.day <= $2::date AND d.township_code LIKE $3 || '%'
        GROUP BY 1`, params);
    const b = dayStart(addDays(to, 1));
    const later = await sql.query<{ key: string; closedLater: number; voidedLater: number }>(
      `SELECT ${group ? group.facts : `''`} AS key, count(*) FILTER (WHERE f.closed_at >= $2)::int AS "closedLater",
              count(*) FILTER (WHERE (f.voided_at IS NOT NULL OR f.merged_at IS NOT NULL) AND NOT coalesce(f.voided_at < $2, false)
                                 AND NOT coalesce(f.merged_at < $2, false))::int AS "voidedLater"
         FROM event_facts f
        WHERE f.span @> $2::timestamptz AND f.span IS NOT NULL AND lower(f.span) >= $1 AND lower(f.span) < $2 AND f.grid_code LIKE $3 || '%'
        GROUP BY 1`, [dayStart(from), b, regionCode]);
    const corrections = new Map(later.map((r) => [String(r.key), r]));
    const out = new Map<string, FactCounts>();
    for (const row of rows) {
      const key = String(row.key);
      const c: FactCounts = { ...ZERO };
      for (const [field] of ROLLUP_READ) if (field in c) (c as unknown as Record<string, number>)[field] = Number(row[field] ?? 0);
      const fix = corrections.get(key);
      c.closedOfReported = Number(row.reportedClosed) - (fix?.closedLater ?? 0);
      c.voidedReports = Number(row.reportedVoided) - (fix?.voidedLater ?? 0);
      c.dueToClose = c.reported - c.voidedReports;
      out.set(key, c);
    }
    return out;
  }

  /** Raw counts per group read from the facts themselves (unit scopes, departments, grid workers). */
  async factCounts(scope: Pick<StatsSummary['scope'], 'regionCode' | 'unitCode'>, from: string, to: string, group: Grouping | null,
    sql: Sql = this.db): Promise<Map<string, FactCounts>> {
    const a = dayStart(from);
    const b = dayStart(addDays(to, 1));
    const params: unknown[] = [a, b];
    let efScope = 'true';
    let sfScope = 'true';
    if (scope.unitCode) {
      params.push(scope.unitCode);
      efScope = `f.handler_unit_codes @> ARRAY[$3::text] AND f.handler_unit_codes <> '{}'`; // the partial index's predicate
      sfScope = `s.unit_code = $3`;
    } else if (scope.regionCode) {
      params.push(scope.regionCode);
      efScope = `f.grid_code LIKE $3 || '%'`;
      sfScope = `s.grid_code LIKE $3 || '%'`;
    }
    const inP = (col: string) => `(${col} >= $1 AND ${col} < $2)`;
    const efKey = group ? group.ef : `''`;
    const ef = await sql.query<Record<string, string | number>>(
      `SELECT ${efKey} AS key,
         count(*) FILTER (WHERE ${inP('f.reported_at')})::int AS reported,
         count(*) FILTER (WHERE ${inP('f.accepted_at')})::int AS accepted,
         count(*) FILTER (WHERE ${inP('f.dispatched_at')})::int AS dispatched,
         count(*) FILTER (WHERE ${inP('f.closed_at')})::int AS closed,
         count(*) FILTER (WHERE ${inP('f.closed_at')} AND f.closed_on_time)::int AS "closedOnTime",
         count(*) FILTER (WHERE ${inP('f.closed_at')} AND f.rework_count = 0)::int AS "firstTime",
         count(*) FILTER (WHERE ${inP('f.closed_at')} AND f.dispatched_at IS NOT NULL)::int AS "closedDispatched",
         count(*) FILTER (WHERE ${inP('f.closed_at')} AND f.return_count > 0)::int AS returned,
         count(*) FILTER (WHERE ${inP('f.closed_at')} AND f.wrong_dispatch_count > 0)::int AS wrong,
         count(*) FILTER (WHERE ${inP('f.first_rated_at')})::int AS rated,
         count(*) FILTER (WHERE ${inP('f.first_rated_at')} AND f.first_rating >= 3)::int AS satisfied,
         count(*) FILTER (WHERE ${inP('f.reported_at')} AND NOT coalesce(f.voided_at < $2, false) AND NOT coalesce(f.merged_at < $2, false))::int AS "dueToClose",
         count(*) FILTER (WHERE ${inP('f.reported_at')} AND f.closed_at < $2)::int AS "closedOfReported",
         count(*) FILTER (WHERE ${inP('f.closed_at')} AND f.resolution_level = 'village')::int AS village,
         count(*) FILTER (WHERE ${inP('f.closed_at')} AND f.resolution_level = 'township')::int AS township,
         count(*) FILTER (WHERE ${inP('f.closed_at')} AND f.resolution_level = 'county')::int AS county,
         count(*) FILTER (WHERE ${inP('f.reported_at')} AND (f.voided_at < $2 OR f.merged_at < $2))::int AS "voidedReports",
         count(*) FILTER (WHERE ${inP('f.reported_at')} AND f.self_resolved)::int AS "selfResolved"
       FROM event_facts f
      WHERE ${efScope} AND (${inP('f.reported_at')} OR ${inP('f.accepted_at')} OR ${inP('f.dispatched_at')} OR ${inP('f.closed_at')}
            OR ${inP('f.first_rated_at')})
      GROUP BY 1`, params);
    const out = new Map<string, FactCounts>();
    const get = (key: string) => { let c = out.get(key); if (!c) out.set(key, (c = { ...ZERO })); return c; };
    for (const row of ef) Object.assign(get(String(row.key)), Object.fromEntries(Object.entries(row).filter(([k]) => k !== 'key')));
    if (group === null || group.sf !== null) {
      const sfKey = group ? group.sf! : `''`;
      const sf = await sql.query<Record<string, string | number>>(
        `SELECT ${sfKey} AS key,
           count(*) FILTER (WHERE s.stage = 'accept' AND s.on_time IS NOT NULL)::int AS "acceptDue",
           count(*) FILTER (WHERE s.stage = 'accept' AND s.on_time)::int AS "acceptOnTime",
           count(*) FILTER (WHERE s.stage = 'sign' AND s.ended_by = 'sign' AND s.on_time IS NOT NULL)::int AS "signDue",
           count(*) FILTER (WHERE s.stage = 'sign' AND s.ended_by = 'sign' AND s.on_time)::int AS "signOnTime",
           count(*) FILTER (WHERE s.stage = 'handle' AND s.ended_by = 'feedback' AND s.on_time IS NOT NULL)::int AS "handleDue",
           count(*) FILTER (WHERE s.stage = 'handle' AND s.ended_by = 'feedback' AND s.on_time)::int AS "handleOnTime",
           count(*) FILTER (WHERE s.stage = 'handle' AND s.ended_by = 'feedback')::int AS "handleCount",
           coalesce(sum(s.working_minutes) FILTER (WHERE s.stage = 'handle' AND s.ended_by = 'feedback'), 0)::float8 AS "handleMinutes"
         FROM stage_facts s
        WHERE ${sfScope} AND s.stage IN ('accept', 'sign', 'handle') AND ${inP('s.ended_at')}
        GROUP BY 1`, params);
      for (const row of sf) Object.assign(get(String(row.key)), Object.fromEntries(Object.entries(row).filter(([k]) => k !== 'key')));
    }
    return out;
  }

  /** Open events now, and those yellow or red, within the scope (the live part of the summary). */
  private async now(scope: Pick<StatsSummary['scope'], 'regionCode' | 'unitCode'>): Promise<{ open: number; yellow: number; red: number }> {
    if (!scope.unitCode) {
      // the map's aggregate (kept by its trigger in the transaction of every change to events): grids × statuses × warnings
      const [agg] = await this.db.query<{ open: number; yellow: number; red: number }>(
        `SELECT coalesce(sum(n), 0)::int AS open, coalesce(sum(n) FILTER (WHERE warning = 'yellow'), 0)::int AS yellow,
                coalesce(sum(n) FILTER (WHERE warning = 'red'), 0)::int AS red
           FROM map_region_totals WHERE status NOT IN ('closed', 'rejected', 'merged') AND region_code LIKE $1 || '%'`, [scope.regionCode]);
      return agg!;
    }
    const [row] = await this.db.query<{ open: number; yellow: number; red: number }>(
      `SELECT count(*)::int AS open, count(*) FILTER (WHERE warning = 'yellow')::int AS yellow, count(*) FILTER (WHERE warning = 'red')::int AS red
         FROM events e WHERE e.status NOT IN ('closed', 'rejected', 'merged') AND ${scope.unitCode ? `e.owner_unit_code = $1` : `e.region_code LIKE $1 || '%'`}`,
      [scope.unitCode ?? scope.regionCode]);
    return row!;
  }

  async summary(actor: Actor, q: StatsQuery): Promise<StatsSummary> {
    const { from, to } = this.period(q);
    const scope = await this.scope(actor, q);
    const counts = (await this.counts(scope, from, to, null)).get('') ?? { ...ZERO };
    const now = await this.now(scope);
    return { scope, from, to, ...figuresOf(counts), open: now.open, overdue: { yellow: now.yellow, red: now.red } };
  }

  /** Buckets of whole days: day, ISO week (Monday first) or calendar month, clipped to the period. */
  static buckets(from: string, to: string, bucket: Bucket): { from: string; to: string }[] {
    const out: { from: string; to: string }[] = [];
    let start = from;
    while (start <= to) {
      let end: string;
      if (bucket === 'day') end = start;
      else if (bucket === 'week') {
        const weekday = (new Date(`${start}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday 0
        end = addDays(start, 6 - weekday);
      } else {
        const d = new Date(`${start}T00:00:00Z`);
        end = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).toISOString().slice(0, 10);
      }
      if (end > to) end = to;
      out.push({ from: start, to: end });
      start = addDays(end, 1);
    }
    return out;
  }

  async trend(actor: Actor, q: StatsQuery & { bucket?: Bucket }): Promise<StatsTrend> {
    const { from, to } = this.period(q, 400);
    const bucket = q.bucket ?? 'day';
    const scope = await this.scope(actor, q);
    const buckets = StatsService.buckets(from, to, bucket);
    const starts = buckets.map((b) => b.from);
    const counts = await this.bucketCounts(scope, from, to, starts);
    return { scope, from, to, bucket, items: buckets.map((b) => ({ ...b, ...figuresOf(counts.get(b.from) ?? { ...ZERO }), open: null, overdue: null })) };
  }

  /** Counts per bucket: each row is put in the bucket of the Asia/Shanghai day its figure is counted on. */
  private async bucketCounts(scope: Pick<StatsSummary['scope'], 'regionCode' | 'unitCode'>, from: string, to: string, starts: string[]):
    Promise<Map<string, FactCounts>> {
    // a figure counts on different days (reported, closed, rated …): group per day, then sum days into buckets
    const perDay = await this.dailyCounts(scope, from, to);
    const out = new Map<string, FactCounts>();
    for (const [day, c] of perDay) {
      let i = starts.length - 1;
      while (i > 0 && starts[i]! > day) i--;
      const k = starts[i]!;
      const acc = out.get(k) ?? { ...ZERO };
      for (const f of Object.keys(ZERO) as (keyof FactCounts)[]) acc[f] += c[f];
      out.set(k, acc);
    }
    return out;
  }

  /** Counts per Asia/Shanghai day: every fact counted on its own day. */
  async dailyCounts(scope: Pick<StatsSummary['scope'], 'regionCode' | 'unitCode'>, from: string, to: string, sql: Sql = this.db): Promise<Map<string, FactCounts>> {
    if (!scope.unitCode && scope.regionCode && scope.regionCode.length <= 9) return this.rollupCounts(scope.regionCode, from, to, BY_DAY, sql);
    const out = new Map<string, FactCounts>();
    // per day: the same statement grouped by day, one figure family at a time (the day differs by figure)
    const dayOf = (col: string) => `to_char(${col} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')`;
    const families: [string, (keyof FactCounts)[]][] = [
      ['f.reported_at', ['reported', 'dueToClose', 'closedOfReported', 'voidedReports', 'selfResolved']],
      ['f.accepted_at', ['accepted']],
      ['f.dispatched_at', ['dispatched']],
      ['f.closed_at', ['closed', 'closedOnTime', 'firstTime', 'closedDispatched', 'returned', 'wrong', 'village', 'township', 'county']],
      ['f.first_rated_at', ['rated', 'satisfied']],
    ];
    for (const [col, fields] of families) {
      const grouped = await this.counts(scope, from, to, { ef: dayOf(col), sf: null }, sql);
      for (const [day, c] of grouped) {
        if (day === '' || day === 'null') continue;
        const acc = out.get(day) ?? { ...ZERO };
        for (const f of fields) acc[f] += c[f];
        out.set(day, acc);
      }
    }
    const stages = await this.counts(scope, from, to, { ef: `''`, sf: dayOf('s.ended_at') }, sql);
    for (const [day, c] of stages) {
      if (day === '') continue;
      const acc = out.get(day) ?? { ...ZERO };
      for (const f of ['acceptDue', 'acceptOnTime', 'signDue', 'signOnTime', 'handleDue', 'handleOnTime', 'handleCount', 'handleMinutes'] as const) acc[f] += c[f];
      out.set(day, acc);
    }
    return out;
  }

  async weights(kind?: RankingKind): Promise<StatsWeightView[]> {
    return this.db.query<StatsWeightView>(`SELECT kind, indicator, weight::float8 AS weight FROM stats_weights
      WHERE $1::text IS NULL OR kind = $1 ORDER BY kind, indicator`, [kind ?? null]);
  }

  async putWeight(actor: Actor, w: StatsWeightView): Promise<StatsWeightView> {
    if (actor.role !== 'admin') throw Problem.forbidden('only an admin may change ranking weights');
    if (!RANKING_INDICATORS[w.kind as RankingKind].includes(w.indicator)) {
      throw Problem.invalidField('indicator', `indicator must be one of ${RANKING_INDICATORS[w.kind as RankingKind].join(', ')}`);
    }
    return this.db.tx(async (sql) => {
      await sql.query(`INSERT INTO stats_weights (kind, indicator, weight) VALUES ($1, $2, $3)
        ON CONFLICT (kind, indicator) DO UPDATE SET weight = EXCLUDED.weight, updated_at = now()`, [w.kind, w.indicator, w.weight]);
      await this.audit.record({ actorId: actor.id, username: actor.username, action: 'stats_weight.put', outcome: 'ok', detail: { ...w } }, sql);
      return w;
    });
  }

  /** Rows of a ranking kind for a period: key, name and indicators. */
  private async rankingRows(kind: RankingKind, from: string, to: string): Promise<{ key: string; name: string; indicators: Record<string, number | null> }[]> {
    const county = this.config.COUNTY_CODE;
    const scope = { regionCode: county, unitCode: null };
    if (kind === 'township') {
      const towns = await this.db.query<{ code: string; name: string }>(`SELECT code, name FROM regions WHERE level = 'township' AND parent_code = $1 ORDER BY code`, [county]);
      const counts = await this.counts(scope, from, to, { ef: `left(f.grid_code, 9)`, sf: `left(s.grid_code, 9)`, rollup: BY_TOWNSHIP });
      return towns.map((t) => {
        const c = counts.get(t.code) ?? { ...ZERO };
        return { key: t.code, name: t.name, indicators: { ...pickRates(figuresOf(c)), reported: c.reported, closed: c.closed } };
      });
    }
    if (kind === 'department') {
      const units = await this.db.query<{ code: string; name: string }>(`SELECT code, name FROM units WHERE type = 'county_department' AND region_code = $1 AND active ORDER BY code`, [county]);
      // case figures by the unit that held the case at its close; stage figures by the unit that owned the stage
      const counts = await this.counts(scope, from, to, { ef: `coalesce(f.close_unit_code, '')`, sf: `s.unit_code` });
      return units.map((u) => {
        const c = counts.get(u.code) ?? { ...ZERO };
        return { key: u.code, name: u.name, indicators: { ...pickRates(figuresOf(c)), closed: c.closed } };
      });
    }
    const workers = await this.db.query<{ id: string; name: string }>(`SELECT id::text AS id, display_name AS name FROM users
      WHERE role = 'grid_worker' AND jurisdiction_code LIKE $1 || '%' AND NOT disabled ORDER BY jurisdiction_code, id`, [county]);
    const counts = await this.counts(scope, from, to, { ef: `coalesce(f.reporter_id::text, '')`, sf: null });
    return workers.map((w) => {
      const c = counts.get(w.id) ?? { ...ZERO };
      const f = figuresOf(c);
      return { key: w.id, name: w.name, indicators: { reports: c.reported, validReportRate: rate(c.reported - c.voidedReports, c.reported),
        selfResolveRate: rate(c.selfResolved, c.reported), onTimeCloseRate: f.onTimeCloseRate, satisfactionRate: f.satisfactionRate } };
    });
  }

  async rankings(_actor: Actor, q: { kind: RankingKind; from?: string; to?: string }): Promise<StatsRankings> {
    const { from, to } = this.period(q, 400);
    const len = daysBetween(from, to) + 1;
    const previousTo = addDays(from, -1);
    const previousFrom = addDays(from, -len);
    const weightRows = await this.weights(q.kind);
    const weights = Object.fromEntries(weightRows.map((w) => [w.indicator, w.weight]));
    // the two periods on two connections at once
    const [currentRows, previousRows] = await Promise.all([this.rankingRows(q.kind, from, to), this.rankingRows(q.kind, previousFrom, previousTo)]);
    const current = rankRows(currentRows, weights);
    const previous = new Map(rankRows(previousRows, weights).map((r) => [r.key, r.rank]));
    const items: RankingRow[] = current.map((r) => {
      const previousRank = previous.get(r.key) ?? null;
      return { ...r, previousRank, change: previousRank !== null && r.rank !== null ? previousRank - r.rank : null };
    });
    return { kind: q.kind, from, to, previousFrom, previousTo, weights, items };
  }

  async topCategories(actor: Actor, q: StatsQuery & { limit?: number }): Promise<TopCategories> {
    const { from, to } = this.period(q);
    const scope = await this.scope(actor, q);
    const params: unknown[] = [dayStart(from), dayStart(addDays(to, 1)), scope.unitCode ?? scope.regionCode, q.limit ?? 10];
    const where = scope.unitCode ? `f.handler_unit_codes @> ARRAY[$3::text] AND f.handler_unit_codes <> '{}'` : `f.grid_code LIKE $3 || '%'`;
    const rows = await this.db.query<{ categoryCode: string; name: string; count: number; total: number }>(
      `SELECT f.category_code AS "categoryCode", c.name, count(*)::int AS count, (sum(count(*)) OVER ())::int AS total
         FROM event_facts f JOIN categories c ON c.code = f.category_code
        WHERE f.reported_at >= $1 AND f.reported_at < $2 AND ${where}
        GROUP BY f.category_code, c.name ORDER BY count DESC, f.category_code`, params.slice(0, 3));
    return { scope, from, to, items: rows.slice(0, q.limit ?? 10).map((r) => ({ categoryCode: r.categoryCode, name: r.name, count: r.count, share: rate(r.count, r.total) })) };
  }

  async repeats(actor: Actor, q: StatsQuery & { radiusMetres?: number; withinDays?: number }): Promise<Repeats> {
    const { from, to } = this.period(q, 400);
    const scope = await this.scope(actor, q);
    const radius = q.radiusMetres ?? 50;
    const within = q.withinDays ?? 30;
    const v = visibility(actor, 7);
    const rows = await this.db.query<{ eventId: string; code: string; categoryCode: string; reportedAt: Date; repeatOfId: string; repeatOfCode: string; distanceMetres: number }>(
      `SELECT DISTINCT ON (e.id) e.id AS "eventId", e.code, e.category_code AS "categoryCode", e.created_at AS "reportedAt",
              p.id AS "repeatOfId", p.code AS "repeatOfCode", round(ST_Distance(e.location::geography, p.location::geography)::numeric, 1)::float8 AS "distanceMetres"
         FROM events e JOIN events p ON p.category_code = e.category_code AND p.id <> e.id
          AND p.created_at < e.created_at AND p.created_at >= e.created_at - make_interval(days => $4)
          AND ST_DWithin(e.location::geography, p.location::geography, $5)
        WHERE e.created_at >= $1 AND e.created_at < $2 AND e.status <> 'merged' AND p.status <> 'merged'
          AND ${scope.unitCode ? `e.involved_unit_codes @> ARRAY[$3::text]` : `e.region_code LIKE $3 || '%'`} AND $6::int > 0 AND ${v.clause}
        ORDER BY e.id, p.created_at DESC LIMIT 1000`,
      [dayStart(from), dayStart(addDays(to, 1)), scope.unitCode ?? scope.regionCode, within, radius, 1, ...v.params]);
    rows.sort((x, y) => x.reportedAt.getTime() - y.reportedAt.getTime() || x.code.localeCompare(y.code));
    return { scope, from, to, radiusMetres: radius, withinDays: within, items: rows.map((r) => ({ ...r, reportedAt: r.reportedAt.toISOString() })) };
  }

  /** The same figures as the screens, one sheet per view (xlsx) or one view (csv, UTF-8 with a BOM); audited. */
  async export(actor: Actor, q: StatsQuery & { format?: 'xlsx' | 'csv'; view?: string; bucket?: Bucket; kind?: RankingKind }, ip: string | null):
    Promise<{ mime: string; data: Buffer; filename: string }> {
    const format = q.format ?? 'xlsx';
    const summary = await this.summary(actor, q);
    const trend = await this.trend(actor, { ...q, bucket: q.bucket ?? 'day' });
    const rankings = await this.rankings(actor, { kind: q.kind ?? 'township', from: summary.from, to: summary.to });
    const top = await this.topCategories(actor, q);
    const sheets: Record<string, (string | number | null)[][]> = {
      summary: [['指标', '数值'], ...SUMMARY_ROWS.map(([label, get]) => [label, get(summary)])],
      trend: [['开始日期', '结束日期', ...SUMMARY_ROWS.filter(([, , inTrend]) => inTrend !== false).map(([l]) => l)],
        ...trend.items.map((i) => [i.from, i.to, ...SUMMARY_ROWS.filter(([, , inTrend]) => inTrend !== false).map(([, get]) => get(i as unknown as StatsSummary))])],
      rankings: [['排名', '名称', '代码', '得分', '并列', '上期排名', '名次变化', ...Object.keys(rankings.weights)],
        ...rankings.items.map((r) => [r.rank, r.name, r.key, r.score, r.tied ? '是' : '否', r.previousRank, r.change, ...Object.keys(rankings.weights).map((k) => r.indicators[k] ?? null)])],
      'top-categories': [['类别代码', '类别', '上报数', '占比'], ...top.items.map((t) => [t.categoryCode, t.name, t.count, t.share])],
    };
    const names: Record<string, string> = { summary: '汇总', trend: '趋势', rankings: '排名', 'top-categories': '高发类别' };
    await this.audit.record({ actorId: actor.id, username: actor.username, action: 'stats.export', outcome: 'ok', ip,
      target: summary.scope.unitCode ?? summary.scope.regionCode ?? undefined,
      detail: { format, view: q.view ?? null, from: summary.from, to: summary.to, scope: summary.scope, kind: rankings.kind, bucket: trend.bucket } });
    const base = `stats-${summary.scope.unitCode ?? summary.scope.regionCode}-${summary.from}-${summary.to}`;
    if (format === 'csv') {
      const view = q.view ?? 'summary';
      const rows = sheets[view]!;
      const cell = (v: string | number | null) => (v === null ? '' : typeof v === 'number' ? String(v) : /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
      const text = '\uFEFF' + rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
      return { mime: 'text/csv; charset=utf-8', data: Buffer.from(text, 'utf8'), filename: `${base}-${view}.csv` };
    }
    const wb = new ExcelJS.Workbook();
    wb.creator = 'Grid141';
    for (const [view, rows] of Object.entries(sheets)) {
      const ws = wb.addWorksheet(names[view]!);
      for (const r of rows) ws.addRow(r.map((v) => (v === null ? null : v)));
      ws.getRow(1).font = { bold: true };
    }
    const data = Buffer.from(await wb.xlsx.writeBuffer());
    return { mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', data, filename: `${base}.xlsx` };
  }
}

/** Summary rows of the export: Chinese label, value, and whether the trend sheet has the column. */
export const SUMMARY_ROWS: [string, (s: StatsSummary) => string | number | null, boolean?][] = [
  ['范围', (s) => s.scope.name, false],
  ['开始日期', (s) => s.from, false],
  ['结束日期', (s) => s.to, false],
  ['上报数', (s) => s.reported],
  ['受理数', (s) => s.accepted],
  ['派遣数', (s) => s.dispatched],
  ['结案数', (s) => s.closed],
  ['在办数（当前）', (s) => s.open, false],
  ['黄牌数（当前）', (s) => s.overdue?.yellow ?? null, false],
  ['红牌超期数（当前）', (s) => s.overdue?.red ?? null, false],
  ['按时受理率', (s) => s.onTimeAcceptRate],
  ['按时签收率', (s) => s.onTimeSignRate],
  ['按时处置率', (s) => s.onTimeHandleRate],
  ['按期结案率', (s) => s.onTimeCloseRate],
  ['结案率', (s) => s.closeRate],
  ['一次办结率', (s) => s.firstTimeRate],
  ['退回率', (s) => s.returnRate],
  ['错误派遣率', (s) => s.wrongDispatchRate],
  ['满意率', (s) => s.satisfactionRate],
  ['平均处置时长（工作小时）', (s) => s.avgHandleWorkingHours],
  ['村级化解占比', (s) => s.resolvedByLevel.village],
  ['镇级化解占比', (s) => s.resolvedByLevel.township],
  ['县级化解占比', (s) => s.resolvedByLevel.county],
];

function pickRates(f: Omit<StatsFigures, 'open' | 'overdue'>): Record<string, number | null> {
  return { onTimeAcceptRate: f.onTimeAcceptRate, onTimeSignRate: f.onTimeSignRate, onTimeHandleRate: f.onTimeHandleRate,
    onTimeCloseRate: f.onTimeCloseRate, closeRate: f.closeRate, firstTimeRate: f.firstTimeRate, returnRate: f.returnRate,
    wrongDispatchRate: f.wrongDispatchRate, satisfactionRate: f.satisfactionRate };
}

/** Lower is better for these: they enter the score as 1 − rate. */
const INVERTED = new Set(['returnRate', 'wrongDispatchRate']);

/**
 * The composite score (Σ weight × indicator over the indicators present, weights scaled to those present, × 100, two
 * decimals) and a competition ranking: equal scores share a rank and say so (tied); rows without a score come last
 * unranked; equal rows are listed by key.
 */
export function rankRows<T extends { key: string; name: string; indicators: Record<string, number | null> }>(rows: T[],
  weights: Record<string, number>): (T & { score: number | null; rank: number | null; tied: boolean })[] {
  const scored = rows.map((r) => {
    let sum = 0;
    let wsum = 0;
    for (const [ind, w] of Object.entries(weights)) {
      const v = r.indicators[ind];
      if (v === null || v === undefined || w <= 0) continue;
      sum += w * (INVERTED.has(ind) ? 1 - v : v);
      wsum += w;
    }
    return { ...r, score: wsum > 0 ? Math.round((sum / wsum) * 10_000) / 100 : null };
  });
  scored.sort((a, b) => (a.score === null ? 1 : 0) - (b.score === null ? 1 : 0) || (b.score ?? 0) - (a.score ?? 0) || a.key.localeCompare(b.key));
  const count = new Map<number, number>();
  for (const r of scored) if (r.score !== null) count.set(r.score, (count.get(r.score) ?? 0) + 1);
  let rank = 0;
  let prev: number | null = null;
  return scored.map((r, i) => {
    if (r.score === null) return { ...r, rank: null, tied: false };
    if (r.score !== prev) { rank = i + 1; prev = r.score; }
    return { ...r, rank, tied: (count.get(r.score) ?? 0) > 1 };
  });
}
