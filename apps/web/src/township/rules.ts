/**
 * The queue's rules, pure (no Vue, no I/O, unit-tested in rules.spec.ts): which events a set of filters keeps, and the
 * order of the list (the time left in the current stage).
 */
import type { EventView } from '@contracts/events';
import { shanghaiDay } from './time';

export type Status = EventView['status'];
export type Warning = EventView['warning'];
export type Source = EventView['source'];

export const OPEN_STATUSES: readonly Status[] = ['reported', 'accepted', 'dispatched', 'handling', 'handled', 'suspended'];
export const FINAL_STATUSES: readonly Status[] = ['closed', 'rejected', 'merged'];
export const ALL_STATUSES: readonly Status[] = [...OPEN_STATUSES, ...FINAL_STATUSES];

/** An event as the page holds it, with when this version arrived (the countdown ticks from there). */
export interface Row {
  event: EventView;
  receivedAt: number;
}

export interface Filters {
  statuses: Status[];
  categoryCode: string;
  warning: '' | Warning;
  villageCode: string;
  source: '' | Source;
  /** Reported on or after this Shanghai day (YYYY-MM-DD), '' for any. */
  from: string;
  /** Reported on or before this Shanghai day, '' for any. */
  to: string;
  q: string;
}

export const emptyFilters = (): Filters => ({
  statuses: [...OPEN_STATUSES], categoryCode: '', warning: '', villageCode: '', source: '', from: '', to: '', q: '',
});

/** Whether `e` passes every filter but the status one (the counts per status are of these). */
export function matchesBesidesStatus(e: EventView, f: Filters): boolean {
  if (f.categoryCode && !e.categoryCode.startsWith(f.categoryCode)) return false;
  if (f.warning && e.warning !== f.warning) return false;
  if (f.villageCode && !e.gridCode.startsWith(f.villageCode)) return false;
  if (f.source && e.source !== f.source) return false;
  if (f.from || f.to) {
    const day = shanghaiDay(Date.parse(e.createdAt));
    if (f.from && day < f.from) return false;
    if (f.to && day > f.to) return false;
  }
  if (f.q) {
    const q = f.q.trim().toLowerCase();
    if (q && !`${e.code} ${e.description} ${e.address ?? ''} ${e.categoryName}`.toLowerCase().includes(q)) return false;
  }
  return true;
}

export function matches(e: EventView, f: Filters): boolean {
  return f.statuses.includes(e.status) && matchesBesidesStatus(e, f);
}

/** Queue order: running clocks by due instant, then paused ones, then events without a clock (latest change first). */
export function compareRows(a: Row, b: Row): number {
  const group = (r: Row) => (r.event.stage === null || r.event.stageDueAt === null ? 2 : r.event.stagePausedAt !== null ? 1 : 0);
  const ga = group(a);
  const gb = group(b);
  if (ga !== gb) return ga - gb;
  if (ga === 0) {
    const d = Date.parse(a.event.stageDueAt!) - Date.parse(b.event.stageDueAt!);
    if (d !== 0) return d;
  } else if (ga === 1) {
    const d = (a.event.remainingMinutes ?? 0) - (b.event.remainingMinutes ?? 0);
    if (d !== 0) return d;
  } else {
    return b.event.updatedAt.localeCompare(a.event.updatedAt) || a.event.id.localeCompare(b.event.id);
  }
  return a.event.createdAt.localeCompare(b.event.createdAt) || a.event.id.localeCompare(b.event.id);
}
