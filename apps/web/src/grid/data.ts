/**
 * The page's data: reference data the form needs (categories, the grid's polygons, the installation's config) and the
 * events this grid worker sees (their grid and their own reports), each kept in IndexedDB so the page opens offline
 * with what it last knew. Events follow /live (the change feed) once loaded; a change is applied when its version is
 * not older than the one shown.
 */
import { shallowRef, ref } from 'vue';
import type { CategoryList } from '@contracts/units';
import type { EventPage, EventView } from '@contracts/events';
import type { RegionMap } from '@contracts/regions';
import type { WebConfig } from '@contracts/web';
import type { SessionUser } from '@contracts/auth';
import { api, qs } from '@shared/api';
import type { LiveConnection, LiveState } from '@shared/live';
import { kvGet, kvSet } from './store';

/** The statuses of an event still open (not closed, rejected or merged). */
export const OPEN_STATUSES = ['reported', 'accepted', 'dispatched', 'handling', 'handled', 'suspended'] as const;

/**
 * Reference data the form needs, each kept in IndexedDB: `kept` gives the copy from last time at once (the page opens
 * offline or on a weak signal without waiting), `fetched` reads the server's and keeps it (undefined when it fails).
 */
export interface Reference<T> {
  kept: () => Promise<T | undefined>;
  fetched: () => Promise<T | undefined>;
}

function reference<T>(key: string, load: () => Promise<T>): Reference<T> {
  return {
    kept: () => kvGet<T>(key).catch(() => undefined),
    fetched: async () => {
      try {
        const v = await load();
        await kvSet(key, v).catch(() => undefined);
        return v;
      } catch {
        return undefined;
      }
    },
  };
}

export const categoriesRef = reference<CategoryList>('categories', () => api<CategoryList>('/categories'));
export const configRef = reference<WebConfig>('config', () => api<WebConfig>('/web/config'));
/** The polygons of the grids of the user's village that the user may see (their own grid): the map's base layer. */
export const gridPolygonsRef = (jurisdiction: string) => {
  const village = jurisdiction.slice(0, 12);
  return reference<RegionMap>(`grids:${village}`, () => api<RegionMap>(`/map/regions${qs({ parent: village, level: 'grid' })}`));
};

function newerFirst(a: EventView, b: EventView): number {
  return a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0;
}

/** The events this user sees, kept current by /live. */
export class GridEvents {
  readonly list = shallowRef<EventView[]>([]);
  readonly live = ref<LiveState>('connecting');
  readonly lastUpdate = ref<Date | null>(null);
  /** false while the list is the copy from IndexedDB (the server has not answered since the page opened). */
  readonly fresh = ref(false);
  private byId = new Map<string, EventView>();
  private conn: LiveConnection | null = null;
  private loading: Promise<void> | null = null;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly key: string;

  constructor(private readonly me: SessionUser) {
    this.key = `events:${me.id}`;
  }

  async start(): Promise<void> {
    const kept = await kvGet<EventView[]>(this.key);
    if (kept && this.byId.size === 0) this.replace(kept);
    window.addEventListener('online', () => { if (!this.fresh.value) void this.load(); });
    await this.load();
  }

  /** Reads the list from the server and (re)connects /live from the cursor read first. */
  load(): Promise<void> {
    this.loading ??= (async () => {
      try {
        // the socket client (socket.io, 13 KB gzip) loads after the page is drawn, not before
        const { LiveConnection } = await import('@shared/live');
        const head = await LiveConnection.head();
        const page = await api<EventPage>(`/events${qs({ limit: 200 })}`);
        this.replace(page.items);
        this.fresh.value = true;
        this.lastUpdate.value = new Date();
        this.save();
        this.conn?.stop();
        this.conn = new LiveConnection({
          cursor: head,
          onChange: (c) => this.upsert(c.event),
          onState: (s, at) => { this.live.value = s; this.lastUpdate.value = at; },
          onReload: () => { this.fresh.value = false; void this.load(); },
        });
        this.conn.start();
      } catch {
        this.fresh.value = false;
        this.live.value = 'offline';
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  stop(): void {
    this.conn?.stop();
  }

  get(id: string): EventView | undefined {
    return this.byId.get(id);
  }

  /** An event as an answer or a change has it now (an older version than the one shown is ignored). */
  upsert(e: EventView): void {
    const had = this.byId.get(e.id);
    if (had && had.version > e.version) return;
    this.byId.set(e.id, e);
    this.list.value = [...this.byId.values()].sort(newerFirst);
    this.save();
  }

  private replace(items: EventView[]): void {
    const next = new Map<string, EventView>();
    for (const e of items) {
      const had = this.byId.get(e.id);
      next.set(e.id, had && had.version > e.version ? had : e);
    }
    this.byId = next;
    this.list.value = [...next.values()].sort(newerFirst);
  }

  private save(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void kvSet(this.key, this.list.value.slice(0, 200)).catch(() => undefined);
    }, 500);
  }
}
