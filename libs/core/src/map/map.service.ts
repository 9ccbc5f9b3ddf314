import { Injectable } from '@nestjs/common';
import { OPEN_STATUSES } from '#domain';
import type { EventStatus, Warning } from '#domain';
import type { MapCellCluster, MapCounts as Counts, MapEventPoint, MapEvents, MapHeat, MapRegionCluster, RegionMap } from '#contracts';
import type { Actor } from '../auth/actor.js';
import { AppConfig } from '../config/app-config.js';
import { FINE_LEVEL, MapRepository } from './map.repository.js';
import type { CellRange, KeyedCount, MapFilters, RegionLabel } from './map.repository.js';

export type BBox = [number, number, number, number];

/** Zoom thresholds (Web Mercator zooms; Anji, ≈ 1,900 km², fills a screen at about zoom 10). */
export const MAP_ZOOM = {
  min: 5,
  max: 18,
  /** Up to this zoom: one bubble per township (乡镇). */
  township: 11,
  /** Up to this zoom: one bubble per village/community (村社区); above it, map cells or single events. */
  village: 13,
} as const;

/** A viewport whose cells hold at most this many events gets them as single events. */
export const POINT_LIMIT = 200;

/**
 * Display cells: at zoom z a map/events cell has 2^(z−6) cells per degree (≈ 45–90 px on screen), a heat cell
 * 2^(z−5) (≈ 22–45 px), never finer than the fine aggregate (2^10 per degree, ≈ 100 m).
 */
export const clusterLevel = (zoom: number) => Math.min(zoom - 6, FINE_LEVEL);
export const heatLevel = (zoom: number) => Math.min(zoom - 5, FINE_LEVEL);

export interface MapQuery { bbox: BBox; zoom: number; status?: EventStatus[]; warning?: Warning; categoryCode?: string; from?: string; to?: string }


function tally(rows: { status: EventStatus; warning: Warning; n: number }[]): Counts {
  const c: Counts = { count: 0, byStatus: {}, byWarning: { none: 0, yellow: 0, red: 0 } };
  for (const r of rows) {
    c.count += r.n;
    c.byStatus[r.status] = (c.byStatus[r.status] ?? 0) + r.n;
    c.byWarning[r.warning] += r.n;
  }
  return c;
}

function groupBy<T>(rows: T[], key: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r); else m.set(k, [r]);
  }
  return m;
}

/** Cells at `level` whose block meets the box (each cell is [x/2^level, (x+1)/2^level) in degrees). */
function cellsMeeting(bbox: BBox, level: number): CellRange {
  const per = 2 ** level;
  return { level, x0: Math.floor(bbox[0] * per), x1: Math.floor(bbox[2] * per), y0: Math.floor(bbox[1] * per), y1: Math.floor(bbox[3] * per) };
}

/** A cell is in an answer when its centre lies in the box (edges included). */
function centreIn(bbox: BBox, level: number, x: number, y: number): boolean {
  const per = 2 ** level;
  const cx = (x + 0.5) / per;
  const cy = (y + 0.5) / per;
  return cx >= bbox[0] && cx <= bbox[2] && cy >= bbox[1] && cy <= bbox[3];
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

/**
 * The map (地图): what a viewport shows at a zoom, for an actor. Semantics of a viewport, per kind of feature:
 * - a township or village bubble is in the answer when its representative point (ST_PointOnSurface of its polygon,
 *   always inside it) lies in the box, and counts ALL its events that match the filters (and the jurisdiction);
 * - a map cell is in the answer when its centre lies in the box, and counts all events in the cell;
 * - a single event is in the answer when its location lies in the box.
 * Empty bubbles and cells are left out. Counts come from the aggregates (see MapRepository).
 */
@Injectable()
export class MapService {
  private labelCache: { version: string; labels: Promise<RegionLabel[]> } | null = null;

  constructor(private readonly config: AppConfig, private readonly map: MapRepository) {}

  async events(actor: Actor, q: MapQuery): Promise<MapEvents> {
    const f = this.filters(q);
    if (q.zoom <= MAP_ZOOM.village) {
      const level = q.zoom <= MAP_ZOOM.township ? 'township' : 'village';
      const length = level === 'township' ? 9 : 12;
      const candidates = (await this.labels()).filter((r) => r.level === level
        && r.lng >= q.bbox[0] && r.lng <= q.bbox[2] && r.lat >= q.bbox[1] && r.lat <= q.bbox[3]
        // a region-based role's counts lie under its jurisdiction code; a handler's or grid worker's anywhere
        && (!MapRepository.fromAggregates(actor) || r.code.startsWith(actor.jurisdictionCode) || actor.jurisdictionCode.startsWith(r.code)));
      const counts = groupBy(await this.map.regionCounts(actor, f, length, candidates.map((r) => r.code)), (c: KeyedCount) => c.key);
      const features: MapRegionCluster[] = [];
      for (const r of candidates) {
        const rows = counts.get(r.code);
        if (!rows) continue;
        features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: [round(r.lng), round(r.lat)] },
          properties: { kind: 'region', code: r.code, name: r.name, level: r.level, ...tally(rows) } });
      }
      return { type: 'FeatureCollection', mode: level, zoom: q.zoom, cellSize: null, total: features.reduce((s, x) => s + x.properties.count, 0), features };
    }
    const level = clusterLevel(q.zoom);
    const rows = await this.map.cellCounts(actor, f, cellsMeeting(q.bbox, level));
    const cellSize = 1 / 2 ** level;
    // every event in the box lies in a cell meeting it: few enough there, and the box's events are all shown
    const meeting = rows.reduce((s, r) => s + r.n, 0);
    if (meeting <= POINT_LIMIT) {
      const points = await this.map.points(actor, f, q.bbox, POINT_LIMIT);
      const features: MapEventPoint[] = points.map((e) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [e.lng, e.lat] },
        properties: { kind: 'event', id: e.id, code: e.code, categoryCode: e.categoryCode, status: e.status, warning: e.warning, urgency: e.urgency } }));
      return { type: 'FeatureCollection', mode: 'event', zoom: q.zoom, cellSize, total: features.length, features };
    }
    const features: MapCellCluster[] = [];
    for (const [key, cell] of groupBy(rows, (r) => `${r.x}|${r.y}`)) {
      const { x, y } = cell[0]!;
      if (!centreIn(q.bbox, level, x, y)) continue;
      void key;
      features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: [round((x + 0.5) * cellSize), round((y + 0.5) * cellSize)] },
        properties: { kind: 'cell', bbox: [round(x * cellSize), round(y * cellSize), round((x + 1) * cellSize), round((y + 1) * cellSize)], ...tally(cell) } });
    }
    features.sort((a, b) => a.geometry.coordinates[1]! - b.geometry.coordinates[1]! || a.geometry.coordinates[0]! - b.geometry.coordinates[0]!);
    return { type: 'FeatureCollection', mode: 'cell', zoom: q.zoom, cellSize, total: features.reduce((s, x) => s + x.properties.count, 0), features };
  }

  /** Heat: open events per cell (weight = count), cells whose centre is in the box. */
  async heat(actor: Actor, q: Omit<MapQuery, 'status' | 'warning'>): Promise<MapHeat> {
    const f = this.filters({ ...q, status: undefined });
    const level = heatLevel(q.zoom);
    const cellSize = 1 / 2 ** level;
    const rows = await this.map.cellCounts(actor, f, cellsMeeting(q.bbox, level), false);
    const cells: [number, number, number][] = [];
    let total = 0;
    let max = 0;
    for (const r of rows) {
      if (!centreIn(q.bbox, level, r.x, r.y)) continue;
      cells.push([round((r.x + 0.5) * cellSize), round((r.y + 0.5) * cellSize), r.n]);
      total += r.n;
      max = Math.max(max, r.n);
    }
    cells.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    return { zoom: q.zoom, cellSize, total, max, cells };
  }

  /** map/regions: child polygons with counts from the aggregates, for the time window and category asked. */
  async regions(actor: Actor, parentCode: string, level: 'township' | 'village' | 'grid', f: Omit<MapFilters, 'status' | 'warning'>): Promise<RegionMap> {
    const simplify = level === 'township' ? 0.0002 : level === 'village' ? 0.0001 : 0.00005;
    const length = level === 'township' ? 9 : level === 'village' ? 12 : 15;
    return this.map.childrenGeoJson(actor, parentCode, length, f, simplify);
  }

  private filters(q: { status?: EventStatus[]; warning?: Warning; categoryCode?: string; from?: string; to?: string }): MapFilters {
    return { status: q.status?.length ? q.status : OPEN_STATUSES, warning: q.warning, categoryCode: q.categoryCode, from: q.from, to: q.to };
  }

  /** Representative points of the county's townships and villages, reloaded when the reference data version moves. */
  private async labels(): Promise<RegionLabel[]> {
    const version = await this.map.referenceVersion();
    if (this.labelCache?.version !== version) {
      const labels = this.map.labels(this.config.COUNTY_CODE);
      labels.catch(() => { if (this.labelCache?.labels === labels) this.labelCache = null; });
      this.labelCache = { version, labels };
    }
    return this.labelCache.labels;
  }
}
