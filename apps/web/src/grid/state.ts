/**
 * The page's shared state: who is signed in, the reference data, the events, the outbox and its sender. One instance
 * per page (the components read it from here).
 */
import { computed, ref, shallowRef } from 'vue';
import type { CategoryView } from '@contracts/units';
import type { EventView } from '@contracts/events';
import type { RegionMap } from '@contracts/regions';
import type { WebConfig } from '@contracts/web';
import { clearSession, loadSession, onSessionChange } from '@shared/session';
import { categoriesRef, configRef, GridEvents, gridPolygonsRef } from './data';
import { announceOutboxChange, onOutboxChangeElsewhere, OutboxSender, withOutboxLock } from './sender';
import { deleteOutbox, listOutbox, putOutbox } from './store';
import type { OutboxRecord } from './store';

export const me = loadSession()!.user;
export const categories = shallowRef<CategoryView[]>([]);
export const config = shallowRef<WebConfig | null>(null);
export const grids = shallowRef<RegionMap | null>(null);
export const events = new GridEvents(me);
export const outbox = shallowRef<OutboxRecord[]>([]);
const gridPolygons = gridPolygonsRef(me.regionCode);
export const sessionEnded = ref(false);
/** The sender is in a pass (发送中). */
export const sending = ref(false);
export const online = ref(navigator.onLine);
/** The report being fixed after a refusal (loaded into the form), if any. */
export const editing = shallowRef<OutboxRecord | null>(null);

export const waitingCount = computed(() => outbox.value.filter((r) => r.state === 'waiting').length);
export const failedCount = computed(() => outbox.value.filter((r) => r.state === 'failed').length);
export const myReports = computed(() => events.list.value.filter((e) => e.reporterId === me.id));
/** 待办: what this user may do now (评价 of their closed reports, 核查 where the role has it). */
export const tasks = computed(() => events.list.value.filter((e) => e.allowedActions.length > 0));

export async function refreshOutbox(): Promise<void> {
  outbox.value = await listOutbox(me.id);
}

export const sender = new OutboxSender({
  userId: () => me.id,
  changed: () => { sending.value = sender.busy; void refreshOutbox(); },
  sent: (event: EventView) => events.upsert(event),
  sessionEnded: () => { sessionEnded.value = true; },
});

/** Keeps a captured report in the outbox and starts sending it. */
export async function enqueue(r: OutboxRecord): Promise<void> {
  await putOutbox(r);
  await refreshOutbox();
  announceOutboxChange();
  void sender.kick();
}

/** Removes a report from the outbox (after the sender is done with it: the same lock). */
export async function discard(id: string): Promise<void> {
  await withOutboxLock(() => deleteOutbox(id));
  await refreshOutbox();
  announceOutboxChange();
}

/** Sends a refused report again as it is (e.g. after the reason went away). */
export async function retry(r: OutboxRecord): Promise<void> {
  await withOutboxLock(() => putOutbox({ ...r, state: 'waiting', error: null, errorStatus: null }));
  await refreshOutbox();
  announceOutboxChange();
  void sender.kick();
}

/** Signs out (the reports still waiting stay on the phone and are sent after this user signs in again). */
export async function signOut(): Promise<void> {
  const s = loadSession();
  if (s) {
    await fetch('/api/v1/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${s.accessToken}` } }).catch(() => undefined);
  }
  clearSession();
  location.assign('/');
}

/** Starts everything: what the phone kept first (the page works offline at once), then the server's. */
export async function startState(): Promise<void> {
  window.addEventListener('online', () => { online.value = true; void refreshReference(); });
  window.addEventListener('offline', () => { online.value = false; });
  onOutboxChangeElsewhere(() => { void refreshOutbox(); });
  // the outbox must survive storage pressure: ask the browser not to evict this site's data
  void navigator.storage?.persist?.().catch(() => false);
  // signed in again (here or in another tab): sending resumes; another user on this phone gets their own page
  onSessionChange((s) => {
    if (!s) return;
    if (s.user.id !== me.id) location.reload();
    else if (sessionEnded.value) { sessionEnded.value = false; void sender.kick(); }
  });
  const [cats, cfg, polys] = await Promise.all([categoriesRef.kept(), configRef.kept(), gridPolygons.kept(), refreshOutbox()]);
  if (cats) categories.value = cats.items;
  if (cfg) config.value = cfg;
  if (polys) grids.value = polys;
  sender.start();
  void events.start();
  void refreshReference();
}

/** Reads the reference data from the server (at start and when the network comes back). */
export async function refreshReference(): Promise<void> {
  const [cats, cfg, polys] = await Promise.all([categoriesRef.fetched(), configRef.fetched(),
    me.regionCode.length >= 12 ? gridPolygons.fetched() : undefined]);
  if (cats) categories.value = cats.items;
  if (cfg) config.value = cfg;
  if (polys) grids.value = polys;
}
