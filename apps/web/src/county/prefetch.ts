/**
 * The first view's requests, sent by the entry script before the application's code (Vue, Leaflet) has even loaded:
 * the township polygons, the feed head, and — when this screen has been opened before at the same size — the
 * clusters of the view it will fit (a wall screen always has the same size, so its first view is the last one's).
 * The application takes each answer once, when it asks for the same thing; anything else it fetches itself.
 */
import type { MapEvents } from '@contracts/map';
import type { RegionMap } from '@contracts/regions';
import type { ChangePage } from '@contracts/events';
import { api } from '@shared/api';
import { filtersFromUrl, mapEventsPath, mapRegions } from './data';
import type { BBox } from './data';

const VIEW_KEY = 'county.firstView';

interface RememberedView {
  width: number;
  height: number;
  search: string;
  bbox: BBox;
  zoom: number;
}

const early: { regions?: Promise<RegionMap>; head?: Promise<string>; view?: { path: string; answer: Promise<MapEvents> } } = {};

/** A promise that never rejects unhandled while nobody has taken it yet. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

export function prefetch(): void {
  const filters = filtersFromUrl(location.search);
  early.regions = quiet(mapRegions(null, 'township', filters));
  early.head = quiet(api<ChangePage>('/changes?limit=1').then((p) => p.nextCursor));
  try {
    const v = JSON.parse(localStorage.getItem(VIEW_KEY) ?? 'null') as RememberedView | null;
    if (v && v.width === innerWidth && v.height === innerHeight && v.search === location.search) {
      const path = mapEventsPath(v.bbox, v.zoom, filters);
      early.view = { path, answer: quiet(api<MapEvents>(path)) };
    }
  } catch { /* nothing remembered */ }
}

/** The early answer for these township polygons, once. */
export function takeRegions(): Promise<RegionMap> | undefined {
  const r = early.regions;
  early.regions = undefined;
  return r;
}

export function takeHead(): Promise<string> | undefined {
  const h = early.head;
  early.head = undefined;
  return h;
}

/** The early answer for this map/events request, once (undefined when it asked for another view). */
export function takeView(path: string): Promise<MapEvents> | undefined {
  const v = early.view;
  early.view = undefined;
  return v && v.path === path ? v.answer : undefined;
}

/** Remembers the first view for the next visit. */
export function rememberView(bbox: BBox, zoom: number): void {
  const v: RememberedView = { width: innerWidth, height: innerHeight, search: location.search, bbox, zoom };
  localStorage.setItem(VIEW_KEY, JSON.stringify(v));
}
