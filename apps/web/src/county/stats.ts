/**
 * The evaluation figures of the wall screen (考核): the KPI strip, the township ranking (晾晒) and the trend, from the
 * evaluation API (GET /stats/summary, /stats/trend, /stats/rankings; shapes in libs/contracts/src/stats.ts). Rates are
 * 0–1 or null (an empty denominator: shown as "—").
 *
 * When a server does not have that API (404), the strip is still never empty: its four counts come from the map
 * aggregates instead — reported today and open/overdue from GET /map/regions, closed from GET /map/events (today's
 * reports already closed) — and the ranking says 暂无数据.
 */
import { api, ApiError, qs } from '@shared/api';
import type { RegionMap } from '@contracts/regions';
import type { MapEvents } from '@contracts/map';
import type { RankingRow as StatsRankingRow, StatsRankings, StatsSummary, StatsTrend } from '@contracts/stats';
import { shanghaiDay } from './data';
import type { BBox } from './data';

export interface Kpi {
  reported: number | null;
  open: number | null;
  overdue: number | null;
  closed: number | null;
  onTimeCloseRate: number | null;
  satisfactionRate: number | null;
  /** 'stats': from the evaluation API; 'live': counted from the map aggregates (a server without that API). */
  source: 'stats' | 'live';
}

export interface RankingRow {
  code: string;
  name: string;
  score: number | null;
  /** Competition rank (1, 2, 2, 4); null for a row without a score. */
  rank: number | null;
  /** Places gained (+) or lost (−) since the previous period of the same length; null when unknown. */
  change: number | null;
  indicators: StatsRankingRow['indicators'];
}

export interface TrendPoint {
  day: string;
  reported: number | null;
  closed: number | null;
  onTimeCloseRate: number | null;
}

const isMissing = (e: unknown) => e instanceof ApiError && (e.status === 404 || e.status === 501);

/** Today's figures for the county (or a township): counts today, open and overdue (红牌) now. */
export async function loadKpi(regionCode: string, countyBBox: BBox | null): Promise<Kpi> {
  const today = shanghaiDay(0);
  try {
    const s = await api<StatsSummary>(`/stats/summary${qs({ regionCode, from: today, to: today })}`);
    return {
      reported: s.reported, open: s.open, overdue: s.overdue?.red ?? null, closed: s.closed,
      onTimeCloseRate: s.onTimeCloseRate, satisfactionRate: s.satisfactionRate, source: 'stats',
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

/** The township ranking (晾晒) over a window, in the API's order (best first, rows without a score last); null when
 * the server has no evaluation API. */
export async function loadRanking(from: string, to: string): Promise<RankingRow[] | null> {
  try {
    const body = await api<StatsRankings>(`/stats/rankings${qs({ kind: 'township', from, to })}`);
    return body.items.map((r) => ({ code: r.key, name: r.name, score: r.score, rank: r.rank, change: r.change, indicators: r.indicators }));
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

/** Daily figures of the county or a township over a window; null when the server has no evaluation API. */
export async function loadTrend(regionCode: string, from: string, to: string): Promise<TrendPoint[] | null> {
  try {
    const body = await api<StatsTrend>(`/stats/trend${qs({ regionCode, from, to, bucket: 'day' })}`);
    return body.items.map((i) => ({ day: i.from, reported: i.reported, closed: i.closed, onTimeCloseRate: i.onTimeCloseRate }));
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}
