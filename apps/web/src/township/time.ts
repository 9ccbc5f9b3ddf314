/**
 * Time left in an event's current stage, ticking in the browser between two answers of the API.
 *
 * The API gives `remainingMinutes` computed when it answered, in minutes of the event's `slaBasis`: natural minutes for
 * urgent events, working minutes (08:30–12:00 and 13:30–17:30, Asia/Shanghai, holidays and 调休 honoured) otherwise.
 * Natural time is simply `stageDueAt − now`. Working time goes down only inside working hours: the page counts the
 * working minutes elapsed since the answer by the daily hours on working days — Monday to Friday unless the county's
 * calendar (`GET /calendar`, read once per page load) lists the day as a holiday, and the 调休 weekend days it lists as
 * working days. The due instant shown beside the countdown (`stageDueLocal`) is always the server's.
 */
import type { EventView } from '@contracts/events';

const SHANGHAI_OFFSET_MS = 8 * 3600_000; // Asia/Shanghai has no daylight saving time
const DAY_MS = 86400_000;
/** Working windows of a day, minutes after midnight (Shanghai wall clock). */
const WINDOWS: ReadonlyArray<readonly [number, number]> = [[8 * 60 + 30, 12 * 60], [13 * 60 + 30, 17 * 60 + 30]];

/** The calendar's exceptions to the week, by Shanghai date `YYYY-MM-DD`: a weekday off, or a weekend day worked (调休). */
export type WorkCalendar = ReadonlyMap<string, 'holiday' | 'workday'>;
const NO_EXCEPTIONS: WorkCalendar = new Map();

/** Whether the Shanghai day starting at `dayMs` (ms of its midnight, shifted to UTC+8) is a working day. */
function isWorkingDay(dayMs: number, calendar: WorkCalendar): boolean {
  const listed = calendar.get(new Date(dayMs).toISOString().slice(0, 10));
  if (listed) return listed === 'workday';
  const weekday = new Date(dayMs).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/** Working minutes between two instants (ms), by the daily windows on the working days of `calendar`'s week. */
export function workingMinutesBetween(fromMs: number, toMs: number, calendar: WorkCalendar = NO_EXCEPTIONS): number {
  if (toMs <= fromMs) return 0;
  let total = 0;
  const from = fromMs + SHANGHAI_OFFSET_MS;
  const to = toMs + SHANGHAI_OFFSET_MS;
  for (let day = Math.floor(from / DAY_MS) * DAY_MS; day < to; day += DAY_MS) {
    if (!isWorkingDay(day, calendar)) continue;
    for (const [a, b] of WINDOWS) {
      const start = Math.max(from, day + a * 60_000);
      const end = Math.min(to, day + b * 60_000);
      if (end > start) total += (end - start) / 60_000;
    }
  }
  return total;
}

/** What the countdown of an event shows now. */
export interface Countdown {
  /** Minutes left (negative: overdue), in the event's basis; null when the stage has no clock. */
  minutes: number | null;
  paused: boolean;
  working: boolean;
}

/**
 * The countdown of `event` at `now`, `receivedAt` being when the API's answer (or live change) carrying this version
 * of the event arrived.
 */
export function countdown(event: Pick<EventView, 'remainingMinutes' | 'stageDueAt' | 'stagePausedAt' | 'slaBasis' | 'stage'>,
  receivedAt: number, now: number, calendar: WorkCalendar = NO_EXCEPTIONS): Countdown {
  const working = event.slaBasis === 'working';
  if (event.stage === null || (event.remainingMinutes === null && event.stageDueAt === null)) return { minutes: null, paused: false, working };
  if (event.stagePausedAt !== null) return { minutes: event.remainingMinutes, paused: true, working };
  if (!working && event.stageDueAt) return { minutes: (Date.parse(event.stageDueAt) - now) / 60_000, paused: false, working };
  if (event.remainingMinutes === null) return { minutes: null, paused: false, working };
  return { minutes: event.remainingMinutes - workingMinutesBetween(receivedAt, now, calendar), paused: false, working };
}

/** `2时05分`, `3天4时`, `45分` (whole minutes, rounded towards zero). */
export function formatSpan(minutes: number): string {
  const m = Math.floor(Math.abs(minutes));
  const days = Math.floor(m / 1440);
  const hours = Math.floor((m % 1440) / 60);
  const mins = m % 60;
  if (days > 0) return `${days}天${hours}时`;
  if (hours > 0) return `${hours}时${String(mins).padStart(2, '0')}分`;
  return `${mins}分`;
}

/** An instant as Shanghai wall-clock time: `12-01 09:30` (this year) or `2025-12-01 09:30`. */
export function formatInstant(iso: string | null | undefined, withYear = false): string {
  if (!iso) return '';
  const d = new Date(Date.parse(iso) + SHANGHAI_OFFSET_MS);
  const p = (n: number) => String(n).padStart(2, '0');
  const nowYear = new Date(Date.now() + SHANGHAI_OFFSET_MS).getUTCFullYear();
  const md = `${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
  return withYear || d.getUTCFullYear() !== nowYear ? `${d.getUTCFullYear()}-${md}` : md;
}

/** Time of day `HH:mm:ss` on the Shanghai clock. */
export function formatClock(d: Date | null): string {
  if (!d) return '';
  const s = new Date(d.getTime() + SHANGHAI_OFFSET_MS);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(s.getUTCHours())}:${p(s.getUTCMinutes())}:${p(s.getUTCSeconds())}`;
}

/** The Shanghai calendar day `YYYY-MM-DD` of an instant. */
export function shanghaiDay(ms: number): string {
  return new Date(ms + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}
