import { Injectable } from '@nestjs/common';
import { EVENT_STATUSES, OPEN_STATUSES } from '#domain';
import type { EventStatus, Warning } from '#domain';
import type { RegionMap } from '#contracts';
import type { Actor } from '../auth/actor.js';
import { DbService } from '../database/db.service.js';
import { visibility } from '../events/events.repository.js';
import { CELL_CATEGORY_LEVELS, CELL_TOTAL_LEVELS, FINE_LEVEL } from '../../../../migrations/1796600000000-MapAggregates.js';

/** Filters of every map answer, already validated. Days are Asia/Shanghai calendar days, inclusive. */
export interface MapFilters {
  status: readonly EventStatus[];
  warning?: Warning;
  /** 大类 (2 digits) or 小类 (4 digits). */
  categoryCode?: string;
  from?: string;
  to?: string;
}

/** A count of one (key, status, warning). */
export interface KeyedCount { key: string; status: EventStatus; warning: Warning; n: number }
export interface CellCount { x: number; y: number; status: EventStatus; warning: Warning; n: number }

export { FINE_LEVEL };

/** A rectangle of cells (inclusive indices) at a level (2^level cells per degree). */
export interface CellRange { level: number; x0: number; x1: number; y0: number; y1: number }

/** Digit codes: every code with prefix p lies in [p, p + '9…'] under any collation, so a prefix is an index range. */
const CODE_TOP = '999999999999999999';

const OPEN_SET = new Set<string>(OPEN_STATUSES);

/** A window of at most this many days is read day by day (one index descent each, bounded by the other keys). */
const MAX_LISTED_DAYS = 366;
/** A map_cell_totals read of at most this many cell rows is one descent per row (bounded by the columns too). */
const MAX_LISTED_ROWS = 128;

/** The days from..to (YYYY-MM-DD, inclusive), or null when the window is open-ended or long. */
function listedDays(f: MapFilters): string[] | null {
  if (!f.from || !f.to) return null;
  const days: string[] = [];
  for (let t = Date.parse(`${f.from}T00:00:00Z`); t <= Date.parse(`${f.to}T00:00:00Z`); t += 86_400_000) {
    if (days.length === MAX_LISTED_DAYS) return null;
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

/** The smallest stored level at least as fine as `level` (the finest when none is). */
const storedLevel = (levels: readonly number[], level: number) => levels.find((l) => l >= level) ?? FINE_LEVEL;

/**
 * Reads for the map (地图). Counts come from the aggregates the trigger map_count_event keeps in the transaction of
 * every change (migration MapAggregates), rolled up here by code prefix or cell block. Each request reads the one
 * table whose dimensions are the filters it has, through a covering index that its filters bound:
 * - no category, no window: regions → map_region_totals; cells → map_cell_totals, the pyramid level just finer than
 *   the display cells (status, then cell row by row); finer than its finest level (8), the 1/1024° cells of
 *   map_cell_category_totals, every category (each 小类 and status one descent, then the row range);
 * - a category, no window → map_cell_category_totals (each 小类 of the filter and status, then the row range; regions
 *   sum all its cells by grid code);
 * - a window (and any other filter) → map_cell_counts (day by day, then status, then the row range; regions likewise).
 * Jurisdiction is visibility() from the events repository: a region-based role's jurisdiction is a code prefix, which
 * the aggregates carry; a handler's (units ever involved) and a grid worker's own reports are not in any aggregate's
 * key, so those two roles are counted from the events table over their own visible set (a unit's events through the
 * GIN index on involved_unit_codes; a grid worker's grid through events_region_idx).
 */
@Injectable()
export class MapRepository {
  constructor(private readonly db: DbService) {}

  /** Whether counts for this actor come from the aggregates (region-based roles) or from their visible events. */
  static fromAggregates(actor: Actor): boolean {
    return actor.role !== 'handler' && actor.role !== 'grid_worker';
  }

  /**
   * An aggregate read of (region_code, status, warning, n [, cell_x, cell_y]) rows for a region-based actor: `cells`
   * asks for cells at the level given (the stored level, see cellCounts), without it regions; `codeRange` narrows the
   * codes. Pushes its parameters onto `params`.
   */
  private aggregateSource(actor: Actor, f: MapFilters, params: unknown[], o: { cells?: CellRange; codeRange?: [string, string] }): string {
    const p = (v: unknown) => { params.push(v); return `$${params.length}`; };
    const windowed = f.from !== undefined || f.to !== undefined;
    const where: string[] = [];
    if (windowed) {
      const days = listedDays(f);
      if (days) where.push(`c.day = ANY(${p(days)}::date[])`);
      if (!days && f.from) where.push(`c.day >= ${p(f.from)}::date`);
      if (!days && f.to) where.push(`c.day <= ${p(f.to)}::date`);
    }
    where.push(`c.status = ANY(${p(f.status)}::text[])`);
    const j = p(actor.jurisdictionCode);
    where.push(`c.region_code BETWEEN ${j} AND ${j} || '${CODE_TOP}' AND c.region_code LIKE ${j} || '%'`);
    if (o.codeRange) where.push(`c.region_code BETWEEN ${p(o.codeRange[0])} AND ${p(o.codeRange[1] + CODE_TOP)}`);
    if (f.warning) where.push(`c.warning = ${p(f.warning)}`);
    // cells finer than the pyramid's finest level: the category table at its fine level, every category
    const fine = o.cells !== undefined && !(CELL_TOTAL_LEVELS as readonly number[]).includes(o.cells.level);
    const table = windowed ? 'map_cell_counts' : f.categoryCode || fine ? 'map_cell_category_totals' : o.cells ? 'map_cell_totals' : 'map_region_totals';
    if (table === 'map_cell_category_totals' && !f.categoryCode) where.push(`c.category_code = ANY(ARRAY(SELECT code FROM categories))`);
    if (f.categoryCode?.length === 4) where.push(`c.category_code = ${p(f.categoryCode)}`);
    if (f.categoryCode?.length === 2) {
      // a 大类 is the range 'XX00'–'XX99' (codes are 4 digits); where the status follows the category in the key, its
      // 小类 one by one, so each (小类, status) is one descent
      const [lo, hi] = [p(`${f.categoryCode}00`), p(`${f.categoryCode}99`)];
      where.push(table === 'map_cell_category_totals' ? `c.category_code = ANY(ARRAY(SELECT code FROM categories WHERE code BETWEEN ${lo} AND ${hi}))`
        : `c.category_code BETWEEN ${lo} AND ${hi}`);
    }
    // regions read the coarsest level
    if (table === 'map_cell_category_totals') where.push(`c.level = ${p(o.cells?.level ?? CELL_CATEGORY_LEVELS[0])}`);
    if (!o.cells) return `SELECT c.region_code, c.status, c.warning, c.n FROM ${table} c WHERE ${where.join(' AND ')}`;
    const r = o.cells;
    if (table === 'map_cell_totals') where.push(`c.level = ${p(r.level)}`);
    // the cell pyramid lists its cell rows (one descent per status and row, bounded by the columns) unless there are
    // very many; a category's or a window's rows are sparse, so there the status descents are bounded by the row range
    if (table === 'map_cell_totals' && r.y1 - r.y0 < MAX_LISTED_ROWS) {
      where.push(`c.cell_y = ANY(${p(Array.from({ length: r.y1 - r.y0 + 1 }, (_, i) => r.y0 + i))}::int[])`);
    } else {
      where.push(`c.cell_y BETWEEN ${p(r.y0)} AND ${p(r.y1)}`);
    }
    where.push(`c.cell_x BETWEEN ${p(r.x0)} AND ${p(r.x1)}`);
    return `SELECT c.region_code, c.status, c.warning, c.n, c.cell_x, c.cell_y FROM ${table} c WHERE ${where.join(' AND ')}`;
  }

  /**
   * The same rows from the actor's visible events (n = 1 each), for the roles whose visibility is not a code prefix;
   * cells at the level of `cells`.
   */
  private eventSource(actor: Actor, f: MapFilters, params: unknown[], o: { cells?: CellRange; codeRange?: [string, string] }): string {
    const p = (v: unknown) => { params.push(v); return `$${params.length}`; };
    const v = visibility(actor, params.length + 1);
    params.push(...v.params);
    const where = [v.clause, `e.status = ANY(${p(f.status)}::text[])`];
    if (o.codeRange) where.push(`e.region_code BETWEEN ${p(o.codeRange[0])} AND ${p(o.codeRange[1] + CODE_TOP)}`);
    if (f.warning) where.push(`e.warning = ${p(f.warning)}`);
    if (f.categoryCode) where.push(f.categoryCode.length === 2 ? `left(e.category_code, 2) = ${p(f.categoryCode)}` : `e.category_code = ${p(f.categoryCode)}`);
    if (f.from) where.push(`(e.created_at AT TIME ZONE 'Asia/Shanghai')::date >= ${p(f.from)}::date`);
    if (f.to) where.push(`(e.created_at AT TIME ZONE 'Asia/Shanghai')::date <= ${p(f.to)}::date`);
    if (!o.cells) return `SELECT e.region_code, e.status, e.warning, 1 AS n FROM events e WHERE ${where.join(' AND ')}`;
    const c = o.cells;
    const per = 2 ** c.level;
    where.push(`e.location && ST_MakeEnvelope(${p(c.x0 / per)}, ${p(c.y0 / per)}, ${p((c.x1 + 1) / per)}, ${p((c.y1 + 1) / per)}, 4326)`);
    return `SELECT e.region_code, e.status, e.warning, 1 AS n, floor(ST_X(e.location) * ${per})::int AS cell_x, floor(ST_Y(e.location) * ${per})::int AS cell_y
      FROM events e WHERE ${where.join(' AND ')}`;
  }

  /** Counts per region code prefix of `length` digits, for the given codes (all in [lo, hi] by code order). */
  async regionCounts(actor: Actor, f: MapFilters, length: number, codes: string[]): Promise<KeyedCount[]> {
    if (codes.length === 0) return [];
    const sorted = [...codes].sort();
    const params: unknown[] = [];
    const o = { codeRange: [sorted[0]!, sorted[sorted.length - 1]!] as [string, string] };
    const src = MapRepository.fromAggregates(actor) ? this.aggregateSource(actor, f, params, o) : this.eventSource(actor, f, params, o);
    params.push(length, codes);
    return this.db.query<KeyedCount>(
      `SELECT left(s.region_code, $${params.length - 1}) AS key, s.status, s.warning, sum(s.n)::int AS n FROM (${src}) s
        WHERE left(s.region_code, $${params.length - 1}) = ANY($${params.length}::text[]) GROUP BY 1, 2, 3`, params);
  }

  /**
   * Counts per display cell: `cells` is a rectangle at its level (2^level cells per degree, level ≤ 10). Aggregates are
   * read at the smallest stored level at least as fine (a pyramid level, or the fine 1/1024° cells of a window) and
   * each block of stored cells shifted to its display cell.
   */
  async cellCounts(actor: Actor, f: MapFilters, cells: CellRange, byStatus = true): Promise<CellCount[]> {
    const aggregate = MapRepository.fromAggregates(actor);
    const base = !aggregate ? cells.level
      : f.from !== undefined || f.to !== undefined ? FINE_LEVEL
        : storedLevel(f.categoryCode ? CELL_CATEGORY_LEVELS : CELL_TOTAL_LEVELS, cells.level);
    // (no stored level of map_cell_totals that fine: FINE_LEVEL, read from map_cell_category_totals)
    const shift = base - cells.level;
    const range: CellRange = { level: base, x0: cells.x0 << shift, x1: ((cells.x1 + 1) << shift) - 1, y0: cells.y0 << shift, y1: ((cells.y1 + 1) << shift) - 1 };
    const params: unknown[] = [];
    const src = aggregate ? this.aggregateSource(actor, f, params, { cells: range }) : this.eventSource(actor, f, params, { cells: range });
    const keys = byStatus ? 's.status, s.warning' : `'' AS status, '' AS warning`;
    return this.db.query<CellCount>(
      `SELECT s.cell_x >> ${shift} AS x, s.cell_y >> ${shift} AS y, ${keys}, sum(s.n)::int AS n FROM (${src}) s GROUP BY 1, 2, 3, 4`, params);
  }

  /** Single events in a box (at most `limit` + 1, to tell "too many"), lean: a marker's fields only. */
  async points(actor: Actor, f: MapFilters, bbox: [number, number, number, number], limit: number): Promise<MapPointRow[]> {
    const params: unknown[] = [];
    const p = (v: unknown) => { params.push(v); return `$${params.length}`; };
    const v = visibility(actor, 1);
    params.push(...v.params);
    const where = [v.clause, `e.status = ANY(${p(f.status)}::text[])`,
      `e.location && ST_MakeEnvelope(${p(bbox[0])}, ${p(bbox[1])}, ${p(bbox[2])}, ${p(bbox[3])}, 4326)`];
    // open statuses only: say so in the index's own words, so the partial GiST index on open events is usable
    if (f.status.every((s) => OPEN_SET.has(s))) where.push(`e.status NOT IN ('closed','rejected','merged')`);
    if (f.warning) where.push(`e.warning = ${p(f.warning)}`);
    if (f.categoryCode) where.push(f.categoryCode.length === 2 ? `left(e.category_code, 2) = ${p(f.categoryCode)}` : `e.category_code = ${p(f.categoryCode)}`);
    if (f.from) where.push(`e.created_at >= (${p(f.from)}::date)::timestamp AT TIME ZONE 'Asia/Shanghai'`);
    if (f.to) where.push(`e.created_at < (${p(f.to)}::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'`);
    return this.db.query<MapPointRow>(
      `SELECT e.id, e.code, e.category_code AS "categoryCode", e.status, e.warning, e.urgency, ST_X(e.location) AS lng, ST_Y(e.location) AS lat
         FROM events e WHERE ${where.join(' AND ')} ORDER BY e.created_at DESC, e.id LIMIT ${p(limit + 1)}`, params);
  }

  /** The reference data version (bumped by region imports and the demo seed): the label cache reloads when it moves. */
  async referenceVersion(): Promise<string> {
    const [v] = await this.db.query<{ v: string }>(`SELECT version::text AS v FROM settings_versions WHERE name = 'reference'`);
    return v?.v ?? '0';
  }

  /** Townships and villages of a county with a representative point (ST_PointOnSurface: always inside the polygon). */
  async labels(countyCode: string): Promise<RegionLabel[]> {
    return this.db.query<RegionLabel>(
      `SELECT code, name, level, ST_X(p) AS lng, ST_Y(p) AS lat
         FROM (SELECT code, name, level, ST_PointOnSurface(geom) AS p FROM regions
                WHERE code LIKE $1 || '%' AND level IN ('township', 'village') AND geom IS NOT NULL) r ORDER BY code`, [countyCode]);
  }

  /**
   * Child polygons of a region with counts (the choropleth): open, red and yellow (among open) and total, for the
   * events matching the time window and category, within the actor's jurisdiction. Polygons: the children that meet
   * the jurisdiction (inside it, or containing it).
   */
  async childrenGeoJson(actor: Actor, parentCode: string, childLength: number, f: Omit<MapFilters, 'status'>, simplify: number): Promise<RegionMap> {
    const regions = await this.db.query<{ code: string; name: string; level: RegionMap['features'][number]['properties']['level']; synthetic: boolean; geometry: RegionMap['features'][number]['geometry'] }>(
      `SELECT code, name, level, synthetic, ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, $3), 6)::json AS geometry FROM regions
        WHERE parent_code = $1 AND geom IS NOT NULL AND (code LIKE $2 || '%' OR $2 LIKE code || '%') ORDER BY code`,
      [parentCode, actor.jurisdictionCode, simplify]);
    const counts = await this.regionCounts(actor, { ...f, status: EVENT_STATUSES }, childLength, regions.map((r) => r.code));
    const by = new Map(regions.map((r) => [r.code, { open: 0, red: 0, yellow: 0, total: 0 }]));
    for (const c of counts) {
      const t = by.get(c.key);
      if (!t) continue;
      t.total += c.n;
      if (OPEN_SET.has(c.status)) {
        t.open += c.n;
        if (c.warning === 'red') t.red += c.n;
        if (c.warning === 'yellow') t.yellow += c.n;
      }
    }
    return {
      type: 'FeatureCollection',
      features: regions.map((r) => ({ type: 'Feature', geometry: r.geometry,
        properties: { code: r.code, name: r.name, level: r.level, synthetic: r.synthetic, ...by.get(r.code)! } })),
    };
  }
}

export interface RegionLabel { code: string; name: string; level: 'township' | 'village'; lng: number; lat: number }
export interface MapPointRow { id: string; code: string; categoryCode: string; status: EventStatus; warning: Warning; urgency: 'normal' | 'urgent'; lng: number; lat: number }
