/**
 * What the county wall screen reads from the API, typed by libs/contracts: the map (clusters, heat, region polygons with
 * counts), the escalated queue, units, categories, and the filters that shape those requests.
 */
import type { MapEvents, MapHeat } from '@contracts/map';
import type { RegionMap } from '@contracts/regions';
import type { EventActionRequest, EventPage, EventView } from '@contracts/events';
import type { CategoryList, UnitList, UnitView } from '@contracts/units';
import type { WebConfig } from '@contracts/web';
import { api, qs } from '@shared/api';

export type EventStatus = EventView['status'];

/** The open statuses (在办): what the map and the queue show unless a status filter says otherwise. */
export const OPEN_STATUSES: EventStatus[] = ['reported', 'accepted', 'dispatched', 'handling', 'handled', 'suspended'];
export const ALL_STATUSES: EventStatus[] = [...OPEN_STATUSES, 'closed', 'rejected', 'merged'];

export type TimeWindow = 'all' | 'today' | 'd7' | 'd30';

export interface Filters {
  /** 大类 (2 digits), or '' for all. */
  categoryCode: string;
  /** Statuses shown on the map; empty means the open ones. */
  statuses: EventStatus[];
  /** A township (9 digits), or '' for the whole county. */
  townshipCode: string;
  window: TimeWindow;
}

export const NO_FILTERS: Filters = { categoryCode: '', statuses: [], townshipCode: '', window: 'all' };

const dayFmt = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });
/** YYYY-MM-DD on the Asia/Shanghai calendar, `back` days before now. */
export function shanghaiDay(back = 0, now = Date.now()): string {
  return dayFmt.format(new Date(now - back * 86_400_000));
}

/** The window as the map API's from/to (days reported, inclusive), or nothing for all time. */
export function windowDays(w: TimeWindow): { from?: string; to?: string } {
  switch (w) {
    case 'today': return { from: shanghaiDay(0), to: shanghaiDay(0) };
    case 'd7': return { from: shanghaiDay(6), to: shanghaiDay(0) };
    case 'd30': return { from: shanghaiDay(29), to: shanghaiDay(0) };
    default: return {};
  }
}

/** Filters from the page's address (`?township=330523001&category=09&status=reported,accepted&window=d7&kiosk=1`). */
export function filtersFromUrl(search: string): Filters {
  const p = new URLSearchParams(search);
  const township = p.get('township') ?? '';
  const category = p.get('category') ?? '';
  const statuses = (p.get('status') ?? '').split(',').filter((s): s is EventStatus => (ALL_STATUSES as string[]).includes(s));
  const window = p.get('window') ?? 'all';
  return {
    townshipCode: /^\d{9}$/.test(township) ? township : '',
    categoryCode: /^\d{2}$/.test(category) ? category : '',
    statuses,
    window: (['all', 'today', 'd7', 'd30'] as string[]).includes(window) ? (window as TimeWindow) : 'all',
  };
}

export type BBox = [number, number, number, number];

/** The map/events request of a viewport under the filters (its path: also the key of an early answer). */
export function mapEventsPath(bbox: BBox, zoom: number, f: Filters): string {
  return `/map/events${qs({
    bbox: bbox.map((n) => n.toFixed(6)).join(','), zoom,
    status: f.statuses.length ? f.statuses.join(',') : undefined,
    categoryCode: f.categoryCode || undefined, ...windowDays(f.window),
  })}`;
}

export function mapEvents(bbox: BBox, zoom: number, f: Filters, signal?: AbortSignal): Promise<MapEvents> {
  return api<MapEvents>(mapEventsPath(bbox, zoom, f), { signal });
}

export function mapHeat(bbox: BBox, zoom: number, f: Filters, signal?: AbortSignal): Promise<MapHeat> {
  return api<MapHeat>(`/map/heat${qs({
    bbox: bbox.map((n) => n.toFixed(6)).join(','), zoom, categoryCode: f.categoryCode || undefined, ...windowDays(f.window),
  })}`, { signal });
}

/** Township polygons of the county (parent omitted: the deployment's county) or village polygons of a township. */
export function mapRegions(parent: string | null, level: 'township' | 'village', f: Pick<Filters, 'categoryCode' | 'window'>): Promise<RegionMap> {
  return api<RegionMap>(`/map/regions${qs({
    parent: parent ?? undefined, level: level === 'township' ? undefined : level,
    categoryCode: f.categoryCode || undefined, ...windowDays(f.window),
  })}`);
}

export async function webConfig(): Promise<WebConfig> {
  const res = await fetch('/api/v1/web/config', { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`web config: HTTP ${res.status}`);
  return (await res.json()) as WebConfig;
}

/** County departments (条线部门) the centre dispatches to. */
export async function countyDepartments(countyCode: string): Promise<UnitView[]> {
  const list = await api<UnitList>(`/units${qs({ regionCode: countyCode })}`);
  return list.items.filter((u) => u.type === 'county_department' && u.active);
}

let categoryList: Promise<CategoryList> | null = null;
/** The categories (reference data: read once per page load). */
export function categories(): Promise<CategoryList> {
  categoryList ??= api<CategoryList>('/categories');
  categoryList.catch(() => { categoryList = null; });
  return categoryList;
}

/** The 大类 (major categories) in display order. */
export async function majorCategories(): Promise<{ code: string; name: string }[]> {
  const list = await categories();
  const seen = new Map<string, string>();
  for (const c of list.items) if (!seen.has(c.majorCode)) seen.set(c.majorCode, c.majorName);
  return [...seen].map(([code, name]) => ({ code, name }));
}

export type QueueKind = 'county' | 'red';

/**
 * The queue of the centre: events at county level (上报县级, waiting for the centre) or red-carded events anywhere
 * (超期, for 督办); open ones only, up to 200, most urgent first.
 */
export async function queueEvents(kind: QueueKind, f: Filters): Promise<{ items: EventView[]; more: boolean }> {
  const statuses = f.statuses.length ? f.statuses.filter((s) => OPEN_STATUSES.includes(s)) : OPEN_STATUSES;
  const page = await api<EventPage>(`/events${qs({
    level: kind === 'county' ? 'county' : undefined, warning: kind === 'red' ? 'red' : undefined,
    status: (statuses.length ? statuses : OPEN_STATUSES).join(','), regionCode: f.townshipCode || undefined,
    categoryCode: f.categoryCode || undefined, limit: 200,
  })}`);
  return { items: sortQueue(page.items), more: page.nextCursor !== null };
}

/** Overdue first, then by the time left in the stage; events without a clock last, newest first. */
export function sortQueue(items: EventView[]): EventView[] {
  return [...items].sort((a, b) => {
    const ra = a.remainingMinutes ?? Number.POSITIVE_INFINITY;
    const rb = b.remainingMinutes ?? Number.POSITIVE_INFINITY;
    return ra !== rb ? ra - rb : b.createdAt.localeCompare(a.createdAt);
  });
}

/** POST /events/:id/actions: the updated event. */
export function act(event: EventView, body: Omit<EventActionRequest, 'expectedVersion'>): Promise<EventView> {
  return api<EventView>(`/events/${event.id}/actions`, { body: { ...body, expectedVersion: event.version } });
}

/** Does an event belong in a queue under the filters (used to apply live changes in place)? */
export function inQueue(kind: QueueKind, e: EventView, f: Filters): boolean {
  if (!OPEN_STATUSES.includes(e.status)) return false;
  if (f.statuses.length && !f.statuses.includes(e.status)) return false;
  if (kind === 'county' && e.level !== 'county') return false;
  if (kind === 'red' && e.warning !== 'red') return false;
  return matchesPlace(e, f);
}

/** Township and category filters on one event (the ticker and the queue). */
export function matchesPlace(e: Pick<EventView, 'townshipCode' | 'categoryCode'>, f: Filters): boolean {
  if (f.townshipCode && e.townshipCode !== f.townshipCode) return false;
  if (f.categoryCode && !e.categoryCode.startsWith(f.categoryCode)) return false;
  return true;
}

/** The latest reports (GET /events is newest first): what the ticker shows before the first live change. */
export async function latestReports(f: Filters, limit = 15): Promise<EventView[]> {
  const page = await api<EventPage>(`/events${qs({ regionCode: f.townshipCode || undefined, categoryCode: f.categoryCode || undefined, limit })}`);
  return page.items;
}
