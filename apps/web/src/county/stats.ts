/**
 * The evaluation figures of the wall screen (考核): the KPI strip, the township ranking (晾晒) and the trend, from the
 * evaluation API (GET /stats/summary, /stats/trend, /stats/rankings). Rates are 0–1 or null (an empty denominator:
 * shown as "—").
 *
 * Until that API answers (404), the strip is never empty: its four counts come from the map aggregates instead —
 * reported today and open/overdue from GET /map/regions, closed from GET /map/events — and the ranking says 暂无数据.
 */
import { api, ApiError, qs } from '@shared/api';
import type { RegionMap } from '@contracts/regions';
import type { MapEvents } from '@contracts/map';
import { shanghaiDay } from './data';
import type { BBox } from './data';

export interface StatsSummary {
  scope?: unknown;
  from?: string;
  to?: string;
  reported: number | null;
  accepted?: number | null;
  dispatched?: number | null;
  closed: number | null;
  open: number | null;
  overdue: number | null;
  onTimeAcceptRate?: number | null;
  onTimeSignRate?: number | null;
  onTimeHandleRate?: number | null;
  onTimeCloseRate: number | null;
  closeRate?: number | null;
  firstTimeRate?: number | null;
  returnRate?: number | null;
  wrongDispatchRate?: number | null;
  satisfactionRate: number | null;
  avgHandleWorkingHours?: number | null;
  resolvedByLevel?: { village: number; township: number; county: number };
}

export interface Kpi {
  reported: number | null;
  open: number | null;
  overdue: number | null;
  closed: number | null;
  onTimeCloseRate: number | null;
  satisfactionRate: number | null;
  /** 'stats': from the evaluation API; 'live': counted from the map aggregates (the API is not there yet). */
  source: 'stats' | 'live';
}

export interface RankingRow {
  code: string;
  name: string;
  score: number | null;
  rank: number;
  /** Places gained (+) or lost (−) since the previous period; null when unknown. */
  change: number | null;
  indicators: Record<string, number | null>;
}

export interface TrendPoint {
  day: string;
  reported: number | null;
  closed: number | null;
  onTimeCloseRate: number | null;
}

const isMissing = (e: unknown) => e instanceof ApiError && (e.status === 404 || e.status === 501);

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Today's figures for the county (or a township). */
export async function loadKpi(regionCode: string, countyBBox: BBox | null): Promise<Kpi> {
  const today = shanghaiDay(0);
  try {
    const s = await api<StatsSummary>(`/stats/summary${qs({ regionCode, from: today, to: today })}`);
    return {
      reported: num(s.reported), open: num(s.open), overdue: num(s.overdue), closed: num(s.closed),
      onTimeCloseRate: num(s.onTimeCloseRate), satisfactionRate: num(s.satisfactionRate), source: 'stats',
    };
  } catch (e) {
    if (!isMissing(e)) throw e;
  }
  return liveKpi(regionCode, countyBBox, today);
}

/** The four counts from the map aggregates (no rates: those need the evaluation facts). */
async function liveKpi(regionCode: string, countyBBox: BBox | null, today: string): Promise<Kpi> {
  const township = regionCode.length === 9 ? regionCode : null;
  const pick = (m: RegionMap) => m.features.filter((f) => !township || f.properties.code === township);
  const sum = (m: RegionMap, k: 'open' | 'red' | 'total') => pick(m).reduce((s, f) => s + f.properties[k], 0);
  const [now, todays, closed] = await Promise.all([
    api<RegionMap>('/map/regions'),
    api<RegionMap>(`/map/regions${qs({ from: today, to: today })}`),
    // closed among today's reports: township bubbles over the county, status closed, today's window
    countyBBox
      ? api<MapEvents>(`/map/events${qs({ bbox: countyBBox.map((n) => n.toFixed(6)).join(','), zoom: 9, status: 'closed', from: today, to: today })}`)
      : Promise.resolve(null),
  ]);
  const closedCount = closed
    ? closed.features.reduce((s, f) => s + (f.properties.kind === 'region' && (!township || f.properties.code === township) ? f.properties.count : 0), 0)
    : null;
  return {
    reported: sum(todays, 'total'), open: sum(now, 'open'), overdue: sum(now, 'red'), closed: closedCount,
    onTimeCloseRate: null, satisfactionRate: null, source: 'live',
  };
}

function rowsOf(body: unknown): Record<string, unknown>[] {
  if (Array.isArray(body)) return body as Record<string, unknown>[];
  if (body && typeof body === 'object') {
    for (const k of ['items', 'rows', 'rankings', 'buckets', 'series', 'points']) {
      const v = (body as Record<string, unknown>)[k];
      if (Array.isArray(v)) return v as Record<string, unknown>[];
    }
  }
  return [];
}

/** The township ranking (晾晒) over a window, best first; null when the evaluation API is not there. */
export async function loadRanking(from: string, to: string): Promise<RankingRow[] | null> {
  try {
    const body = await api<unknown>(`/stats/rankings${qs({ kind: 'township', from, to })}`);
    const rows = rowsOf(body).map((r, i): RankingRow => {
      const region = (r.region ?? {}) as Record<string, unknown>;
      return {
        code: String(r.regionCode ?? r.code ?? region.code ?? ''),
        name: String(r.regionName ?? r.name ?? region.name ?? r.regionCode ?? r.code ?? ''),
        score: num(r.score),
        rank: num(r.rank) ?? i + 1,
        change: num(r.change ?? r.rankChange),
        indicators: Object.fromEntries(Object.entries((r.indicators ?? {}) as Record<string, unknown>).map(([k, v]) => [k, num(typeof v === 'object' && v ? (v as { value?: unknown }).value : v)])),
      };
    });
    return rows.sort((a, b) => a.rank - b.rank);
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

/** Daily figures of the county or a township over a window; null when the evaluation API is not there. */
export async function loadTrend(regionCode: string, from: string, to: string): Promise<TrendPoint[] | null> {
  try {
    const body = await api<unknown>(`/stats/trend${qs({ regionCode, from, to, bucket: 'day' })}`);
    return rowsOf(body).map((r) => ({
      day: String(r.day ?? r.bucket ?? r.date ?? r.from ?? '').slice(0, 10),
      reported: num(r.reported),
      closed: num(r.closed),
      onTimeCloseRate: num(r.onTimeCloseRate),
    }));
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}
