/**
 * The township's live queue: every open event of the caller's jurisdiction (GET /events, keyset-paged to the end),
 * kept current by the /live connection, in the order of the time left in each event's current stage.
 *
 * A quiet list: a change to an event already in the list updates its row where it is; an event that is new to the list
 * (a new report, or one that now matches the filters) waits behind the "N 条新事件" bar and is inserted, with a fresh
 * sort, when the user clicks it. Rows whose time limits moved mark the order as stale ("重新排序"); rows that no longer
 * match the filters stay, dimmed, until the next sort.
 */
import { computed, reactive, ref, shallowReactive } from 'vue';
import type { EventPage, EventView } from '@contracts/events';
import { api, qs } from '@shared/api';
import { LiveConnection } from '@shared/live';
import type { AppliedChange, LiveState } from '@shared/live';
import { compareRows, FINAL_STATUSES, matches, matchesBesidesStatus, OPEN_STATUSES, emptyFilters } from './rules';
import type { Filters, Row, Status } from './rules';

export * from './rules';

/** The most open events a page holds (a township has hundreds; beyond this the filters narrow the list). */
export const MAX_OPEN = 5000;
const PAGE = 200;

type ChangeListener = (change: AppliedChange | null) => void;

export function createQueue() {
  /** Every event the page holds, by id (open ones, plus closed/rejected/merged ones when those are asked for). */
  const rows = shallowReactive(new Map<string, Row>());
  /** The list as shown: ids in the order of the last sort. */
  const order = ref<string[]>([]);
  /** Ids new to the list (matching the filters, not in `order`), waiting behind the "N 条新事件" bar. */
  const pending = shallowReactive(new Set<string>());
  const orderStale = ref(false);
  const filters = reactive<Filters>(emptyFilters());
  const state = reactive({
    loading: false,
    error: '',
    live: 'connecting' as LiveState,
    lastUpdate: null as Date | null,
    /** More closed/rejected/merged events can be read (keyset cursor of GET /events). */
    finalCursor: null as string | null,
    finalLoading: false,
    capped: false,
  });
  const listeners = new Set<ChangeListener>();
  let live: LiveConnection | null = null;
  let generation = 0;

  /** Keeps the newer of two versions of an event; true when `event` was taken. */
  function put(event: EventView, receivedAt = Date.now()): boolean {
    const had = rows.get(event.id);
    if (had && had.event.version > event.version) return false;
    if (had && had.event.version === event.version && had.event.updatedAt === event.updatedAt
      && had.event.remainingMinutes === event.remainingMinutes && had.event.warning === event.warning) return false;
    rows.set(event.id, { event, receivedAt });
    return true;
  }

  async function readPages(query: Record<string, string | number | undefined>, max: number, signal: () => boolean): Promise<{ events: EventView[]; next: string | null }> {
    const events: EventView[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await api<EventPage>(`/events${qs({ ...query, limit: PAGE, cursor })}`);
      if (signal()) break;
      events.push(...page.items);
      if (!page.nextCursor || events.length >= max) return { events, next: page.nextCursor };
      cursor = page.nextCursor;
    }
    return { events, next: null };
  }

  function finalWanted(): Status[] {
    return filters.statuses.filter((s) => FINAL_STATUSES.includes(s));
  }

  /** Closed/rejected/merged events for the status filter, one page at a time (newest first). */
  async function loadFinal(more = false): Promise<void> {
    const wanted = finalWanted();
    if (!wanted.length || state.finalLoading) return;
    if (more && !state.finalCursor) return;
    const gen = generation;
    state.finalLoading = true;
    try {
      const page = await api<EventPage>(`/events${qs({
        status: wanted.join(','), limit: 100, cursor: more ? state.finalCursor ?? undefined : undefined,
        categoryCode: filters.categoryCode || undefined, warning: filters.warning || undefined,
        regionCode: filters.villageCode || undefined,
      })}`);
      if (gen !== generation) return;
      const at = Date.now();
      for (const e of page.items) put(e, at);
      state.finalCursor = page.nextCursor;
      resort();
    } finally {
      state.finalLoading = false;
    }
  }

  /** Loads the state at the head of the change feed, then follows /live from there. */
  async function start(): Promise<void> {
    const gen = ++generation;
    live?.stop();
    live = null;
    state.loading = true;
    state.error = '';
    try {
      const cursor = await LiveConnection.head();
      const { events, next } = await readPages({ status: OPEN_STATUSES.join(',') }, MAX_OPEN, () => gen !== generation);
      if (gen !== generation) return;
      rows.clear();
      pending.clear();
      const at = Date.now();
      for (const e of events) put(e, at);
      state.capped = next !== null;
      resort();
      if (finalWanted().length) await loadFinal();
      state.lastUpdate = new Date();
      live = new LiveConnection({
        cursor,
        onChange: (c) => { if (gen === generation) apply(c); },
        onState: (s, last) => {
          if (gen !== generation) return;
          state.live = s;
          if (last) state.lastUpdate = last;
        },
        onReload: () => { if (gen === generation) void start(); },
      });
      live.start();
      listeners.forEach((fn) => fn(null));
    } catch (e) {
      if (gen === generation) state.error = e instanceof Error ? e.message : String(e);
    } finally {
      if (gen === generation) state.loading = false;
    }
  }

  function stop(): void {
    generation++;
    live?.stop();
    live = null;
  }

  /** A change from /live (or the feed after a resync): update in place, or hold as new. */
  function apply(change: AppliedChange): void {
    const e = change.event;
    const before = rows.get(e.id)?.event;
    const known = before !== undefined;
    if (!known && !OPEN_STATUSES.includes(e.status)) {
      // a closed/rejected/merged event the page never held: only of interest when such events are listed
      if (!finalWanted().includes(e.status)) { listeners.forEach((fn) => fn(change)); return; }
    }
    put(e, Date.now());
    const inList = order.value.includes(e.id);
    if (inList) {
      if (before && (before.stageDueAt !== e.stageDueAt || before.stagePausedAt !== e.stagePausedAt)) orderStale.value = true;
    } else if (matches(e, filters)) {
      pending.add(e.id);
    } else {
      pending.delete(e.id);
    }
    listeners.forEach((fn) => fn(change));
  }

  /** The answer of an action this page sent (the live change follows; whichever comes first wins by version). */
  function accept(event: EventView): void {
    const before = rows.get(event.id)?.event;
    if (!put(event)) return;
    if (order.value.includes(event.id)) {
      if (before && before.stageDueAt !== event.stageDueAt) orderStale.value = true;
    }
  }

  /** Sorts the list afresh: every held event that matches the filters, by time left; the pending ones join it. */
  function resort(): void {
    const list = [...rows.values()].filter((r) => matches(r.event, filters));
    list.sort(compareRows);
    order.value = list.map((r) => r.event.id);
    pending.clear();
    orderStale.value = false;
  }

  /** Filters changed: sort again, and read closed/rejected/merged events when those are asked for. */
  function refilter(): void {
    state.finalCursor = null;
    resort();
    if (finalWanted().length) void loadFinal();
  }

  /** Counts per status of the held events that pass the other filters. */
  const counts = computed(() => {
    const out: Record<string, number> = { open: 0, yellow: 0, red: 0 };
    for (const r of rows.values()) {
      if (!matchesBesidesStatus(r.event, filters)) continue;
      out[r.event.status] = (out[r.event.status] ?? 0) + 1;
      if (OPEN_STATUSES.includes(r.event.status)) {
        out.open++;
        if (r.event.warning === 'yellow') out.yellow++;
        if (r.event.warning === 'red') out.red++;
      }
    }
    return out;
  });

  return {
    rows, order, pending, orderStale, filters, state, counts,
    start, stop, apply, accept, resort, refilter, loadFinal,
    /** Called with each change applied (null after a full load). */
    onChange(fn: ChangeListener): () => void {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    get(id: string): Row | undefined {
      return rows.get(id);
    },
  };
}

export type Queue = ReturnType<typeof createQueue>;
