/**
 * The living demo's plan (演示数据): when reports arrive, what they say, and what happens to each event next. Pure: no
 * I/O, no clock of its own; the worker's generator (apps/worker/src/demo) reads the events, asks `nextMove` and carries
 * the move out through EventsService as the demo user who would take it.
 *
 * An event's fate (closed normally, returned once, reworked once, rejected, merged, left to the SLA engine…) and every
 * delay are keyed draws on its id and situation, so the generator keeps no state between steps and a restart picks up
 * where it left off.
 */
import type { EventStatus, Level } from '#domain';
import { DemoRandom, keyedUnit, weighted } from './demo-random.js';
import { CATEGORY_TEMPLATES, ESCALATE_REASONS, FEEDBACK_NOTES, LANDMARKS, MERGE_NOTES, REJECT_REASONS, RETURN_REASONS, ROADS, SHOPS,
  SURNAMES, VERIFY_FAIL_NOTES, VERIFY_PASS_NOTES } from './demo-templates.js';
import type { CategoryTemplate } from './demo-templates.js';

const MINUTE = 60_000;
const SHANGHAI_OFFSET_MS = 8 * 3600_000;

/** The Asia/Shanghai hour of an instant (China has no daylight saving time). */
export function shanghaiHour(at: Date): number {
  return new Date(at.getTime() + SHANGHAI_OFFSET_MS).getUTCHours();
}

/**
 * Share of the peak report rate by Asia/Shanghai hour: grid workers patrol 8–18 with a lunch dip, a few reports come
 * in the evening, almost none at night.
 */
export const HOURLY_WEIGHT: readonly number[] = [
  0.03, 0.02, 0.02, 0.02, 0.03, 0.05, 0.15, 0.45, // 0–7
  0.9, 1, 1, 0.95, 0.5, 0.7, 0.95, 1, 1, 0.9, // 8–17
  0.6, 0.35, 0.25, 0.15, 0.08, 0.05, // 18–23
];

/**
 * Report arrivals: a Poisson process with a peak rate of `perHour` thinned by the hour of day, so that busy hours get
 * about `perHour` reports and the night a trickle. Deterministic for a seed and a start instant.
 */
export class ArrivalProcess {
  private next: number;

  constructor(private readonly rng: DemoRandom, private readonly perHour: number, start: Date) {
    this.next = start.getTime();
    this.advance();
  }

  /** The arrivals up to and including `now`, oldest first. */
  until(now: Date): Date[] {
    const out: Date[] = [];
    while (this.perHour > 0 && this.next <= now.getTime()) {
      const at = new Date(this.next);
      if (this.rng.next() < HOURLY_WEIGHT[shanghaiHour(at)]!) out.push(at);
      this.advance();
    }
    return out;
  }

  private advance(): void {
    if (this.perHour > 0) this.next += Math.max(1, Math.round(this.rng.exponential(this.perHour) * 3600_000));
  }
}

/** A grid the demo can report in, with sampled points inside its polygon and names for the address. */
export interface DemoPlace {
  gridCode: string;
  townshipName: string;
  villageName: string;
  points: readonly { lng: number; lat: number }[];
}

/** What a report says and where. */
export interface DemoReport {
  categoryCode: string;
  description: string;
  address: string;
  gridCode: string;
  lng: number;
  lat: number;
}

/** A realistic report: a category by the county's shares, a point in one of the grids, text and address from templates. */
export function composeReport(rng: DemoRandom, places: readonly DemoPlace[], templates: readonly CategoryTemplate[] = CATEGORY_TEMPLATES): DemoReport {
  const template = weighted(templates, (t) => t.weight, rng.next());
  const place = rng.pick(places);
  const point = rng.pick(place.points);
  const text = rng.pick(template.texts);
  // one road, number and landmark per report, so that the description and the address name the same spot
  const village = place.villageName.replace(/(居委会|村委会|委员会)$/, '');
  const road = rng.pick(ROADS);
  const no = String(rng.int(1, 288));
  const landmark = `${village}${rng.pick(LANDMARKS)}`;
  const description = text
    .replaceAll('{place}', landmark).replaceAll('{road}', road).replaceAll('{no}', no)
    .replaceAll('{n}', String(rng.int(2, 9))).replaceAll('{name}', `${rng.pick(SURNAMES)}某`).replaceAll('{shop}', rng.pick(SHOPS));
  const byRoad = text.includes('{no}') || (!text.includes('{place}') && rng.next() < 0.5);
  const address = byRoad ? `${place.townshipName}${road}${no}号` : `${place.townshipName}${landmark}附近`;
  return { categoryCode: template.code, description, address, gridCode: place.gridCode, ...point };
}

/**
 * What will become of an event: most are closed the ordinary way; some are returned once by the handler, reworked once
 * after verification, rejected, merged into a similar open one, solved on the spot by the grid worker (自行处置),
 * escalated by the township, or left alone long enough for the SLA engine's yellow and red cards (and its escalation).
 */
export const FATES = ['close', 'return', 'rework', 'reject', 'merge', 'self', 'escalate', 'stall_accept', 'stall_sign'] as const;
export type Fate = (typeof FATES)[number];
const FATE_WEIGHTS: Record<Fate, number> = {
  close: 50, return: 7, rework: 5, reject: 5, merge: 4, self: 8, escalate: 4, stall_accept: 9, stall_sign: 8,
};
/** Categories a grid worker can plausibly fix on the spot (bin overflow, clutter, parking, small ads). */
const SELF_RESOLVABLE = new Set(['0901', '0903', '0906', '0907', '0908', '0703', '0501']);

export function fateOf(seed: number, eventId: string, categoryCode: string): Fate {
  const fate = weighted(FATES, (f) => FATE_WEIGHTS[f], keyedUnit(seed, eventId, 'fate'));
  return fate === 'self' && !SELF_RESOLVABLE.has(categoryCode) ? 'close' : fate;
}

/** What the generator needs to know of an event to decide its next move. */
export interface DemoEventState {
  id: string;
  status: EventStatus;
  level: Level;
  categoryCode: string;
  urgent: boolean;
  returnCount: number;
  reworkCount: number;
  rating: number | null;
  resolvedOnSite: boolean;
  /** When the current situation began (the stage start, or the closing time). */
  since: Date;
}

export type MoveType = 'accept' | 'reject' | 'merge' | 'dispatch' | 'sign' | 'return' | 'feedback' | 'verify' | 'escalate' | 'rate';

/** The next action on an event and when it is due; `by` names who takes it (the generator finds the demo user). */
export interface Move {
  type: MoveType;
  by: 'centre' | 'handler' | 'reporter';
  dueAt: Date;
  note?: string;
  reason?: string;
  pass?: boolean;
  score?: number;
  /** dispatch: to another unit than the category's platform (after a return). */
  alternative?: boolean;
}

/** Minutes from the start of a situation to the move, [min, max]. */
const DELAYS: Record<MoveType, [number, number]> = {
  accept: [3, 25], reject: [5, 30], merge: [5, 30], dispatch: [2, 20], sign: [5, 60], return: [10, 90], feedback: [40, 300],
  verify: [15, 120], escalate: [20, 60], rate: [10, 240],
};
/** Left alone: longer than the default limits (accept/sign 120 working minutes), so the cards turn yellow and red. */
const STALL: [number, number] = [180, 480];
/** Share of closed events the reporter rates. */
const RATED_SHARE = 0.5;

function pickText(seed: number, key: string, texts: readonly string[]): string {
  return texts[Math.floor(keyedUnit(seed, key, 'text') * texts.length)]!;
}

/**
 * When a move is due: `since` plus a keyed delay; urgent events move four times faster, and ordinary ones wait for the
 * morning when the delay ends in the night (22:00–07:00 Asia/Shanghai).
 */
function dueAt(seed: number, key: string, since: Date, [lo, hi]: [number, number], urgent: boolean): Date {
  const minutes = (lo + keyedUnit(seed, key, 'delay') * (hi - lo)) / (urgent ? 4 : 1);
  let at = new Date(since.getTime() + minutes * MINUTE);
  const hour = shanghaiHour(at);
  if (!urgent && (hour >= 22 || hour < 7)) {
    const local = new Date(at.getTime() + SHANGHAI_OFFSET_MS);
    if (hour >= 22) local.setUTCDate(local.getUTCDate() + 1);
    local.setUTCHours(7, 30, 0, 0);
    at = new Date(local.getTime() - SHANGHAI_OFFSET_MS + keyedUnit(seed, key, 'morning') * 60 * MINUTE);
  }
  return at;
}

/** The next move on an event, or null when nothing more will happen to it. */
export function nextMove(seed: number, event: DemoEventState, fate: Fate): Move | null {
  const key = `${event.id}|${event.status}|${event.level}|${event.returnCount}|${event.reworkCount}`;
  const at = (type: MoveType, range: [number, number] = DELAYS[type]) => dueAt(seed, `${key}|${type}`, event.since, range, event.urgent);
  const township = event.level !== 'county';
  switch (event.status) {
    case 'reported':
      if (fate === 'reject') return { type: 'reject', by: 'centre', dueAt: at('reject'), reason: pickText(seed, key, REJECT_REASONS) };
      if (fate === 'merge') return { type: 'merge', by: 'centre', dueAt: at('merge'), note: pickText(seed, key, MERGE_NOTES) };
      return { type: 'accept', by: 'centre', dueAt: fate === 'stall_accept' && township ? at('accept', STALL) : at('accept') };
    case 'accepted':
      if (fate === 'escalate' && event.level === 'township') {
        return { type: 'escalate', by: 'centre', dueAt: at('escalate'), reason: pickText(seed, key, ESCALATE_REASONS) };
      }
      return { type: 'dispatch', by: 'centre', dueAt: at('dispatch'), alternative: fate === 'return' && event.returnCount > 0 && township };
    case 'dispatched':
      if (fate === 'return' && event.returnCount === 0 && township) {
        return { type: 'return', by: 'handler', dueAt: at('return'), reason: pickText(seed, key, RETURN_REASONS) };
      }
      return { type: 'sign', by: 'handler', dueAt: fate === 'stall_sign' && township ? at('sign', STALL) : at('sign') };
    case 'handling':
      return { type: 'feedback', by: 'handler', dueAt: at('feedback'), note: pickText(seed, key, FEEDBACK_NOTES[platformOf(event.categoryCode)]!) };
    case 'handled': {
      const pass = !(fate === 'rework' && event.reworkCount === 0 && !event.resolvedOnSite);
      return { type: 'verify', by: 'centre', dueAt: at('verify'), pass, note: pickText(seed, key, pass ? VERIFY_PASS_NOTES : VERIFY_FAIL_NOTES) };
    }
    case 'closed': {
      if (event.rating !== null || keyedUnit(seed, event.id, 'rated') >= RATED_SHARE) return null;
      const u = keyedUnit(seed, event.id, 'score');
      return { type: 'rate', by: 'reporter', dueAt: at('rate'), score: u < 0.55 ? 5 : u < 0.85 ? 4 : 3 };
    }
    default:
      return null;
  }
}

/** The 2021 platform (四平台) a category code routes to: by its major class, as data/categories.json routes them. */
export function platformOf(categoryCode: string): 'ZZ' | 'JG' | 'YJ' | 'GF' | 'DZ' {
  const major = categoryCode.slice(0, 2);
  if (['04', '05', '06'].includes(major)) return 'YJ';
  if (['08', '09', '10', '11', '12'].includes(major)) return 'JG';
  if (['13', '14'].includes(major)) return 'GF';
  if (major === '15') return 'DZ';
  return 'ZZ';
}

/** The township unit kind a returned event goes to instead of its platform (派出所, 司法所, 市场监管所, 执法中队…). */
export function alternativeUnitKind(categoryCode: string): string {
  const major = categoryCode.slice(0, 2);
  if (['01', '03'].includes(major)) return 'SFS';
  if (['02', '07'].includes(major)) return 'PCS';
  if (['11', '12'].includes(major)) return 'SJS';
  if (platformOf(categoryCode) === 'GF') return 'DZ';
  if (platformOf(categoryCode) === 'DZ') return 'GF';
  return 'ZFZD';
}
