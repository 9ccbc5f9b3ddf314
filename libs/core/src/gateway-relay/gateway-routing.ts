import type { GatewayDeliveryKind } from './gateway-delivery.entity.js';

/** One timeline row (流转记录) as the router reads it, with what it needs of its event. */
export interface RoutedChange {
  actionId: string;
  eventId: string;
  type: string;
  fromStatus: string | null;
  toStatus: string;
  toLevel: string;
  /** Who made the change: the system (SLA engine: 红牌, 自动催办, 自动上报) or a user's role, and the user's unit. */
  actorRole: string;
  actorUnitCode: string | null;
  note: string | null;
  data: Record<string, unknown>;
  at: Date;
  /** The event's version after this row: each timeline row is one version (transition() adds one, a report is 1). */
  version: number;
  code: string;
  categoryCode: string;
  description: string;
  source: string;
  regionCode: string;
  lng: number;
  lat: number;
  /** The event's units as they are when the row is routed (a row routed late sees the later owner). */
  ownerUnitCode: string | null;
  centreUnitCode: string | null;
  /** The 12345 work order number, for events of source hotline12345 (null when the order is not known). */
  orderNo: string | null;
  /**
   * Reported to the province below county level too: the event's category is flagged for the province (上报省平台), or
   * a change of the event was reported before (an event the province has is followed to its end).
   */
  reportToProvince: boolean;
}

export interface NewDelivery {
  eventId: string;
  actionId: string;
  kind: GatewayDeliveryKind;
  messageId: string;
  payload: Record<string, unknown>;
  /** Written as skipped (never sent), with the reason an administrator sees: nobody to send it to. Absent: pending. */
  skipped?: string;
}

/** A person who works cases in a unit (handler, township dispatcher or county operator, not disabled) with a 浙政钉 account. */
export interface UnitHandler {
  userId: string;
  accountId: string;
  role: string;
}

/** Roles that work a case in the unit that holds it: the handlers of a department/platform/station, the centres' staff. */
export const CASE_WORKING_ROLES = ['handler', 'township_dispatcher', 'county_operator'] as const;

/** Why a to-do was opened. */
export type TodoReason = 'dispatch' | 'assist' | 'overdue' | 'supervise';

/** A 浙政钉 to-do (待办) routed and not finished yet: one per event and person at most. */
export interface OpenTodo {
  /** Our id of the to-do in 浙政钉 = the message id of the delivery that creates it. */
  bizTaskId: string;
  eventId: string;
  unitCode: string;
  userId: string;
  accountId: string;
}

export interface OpenedTodo extends OpenTodo {
  actionId: string;
  reason: TodoReason;
}

/**
 * What routing knows besides the change: the handlers of the units the changes tell (read in the router's transaction),
 * the open to-dos of the changes' events, and the events already reported to the province. The open to-dos and the
 * reported events are updated as changes are routed, in order.
 */
export interface RoutingState {
  handlers: ReadonlyMap<string, readonly UnitHandler[]>;
  openTodos: Map<string, OpenTodo[]>;
  reported: Set<string>;
}

export interface RoutedOutcome {
  deliveries: NewDelivery[];
  opened: OpenedTodo[];
  /** To-dos this change finishes (the case left their unit, or the unit signed). */
  finished: { bizTaskId: string; actionId: string }[];
}

export const emptyRoutingState = (): RoutingState => ({ handlers: new Map(), openTodos: new Map(), reported: new Set() });

/** The upward 12345 message of a timeline type (签收, 回复, 退单, 延期申请). */
const HOTLINE_KIND: Record<string, GatewayDeliveryKind> = {
  sign: 'hotline_sign', feedback: 'hotline_reply', return: 'hotline_return', request_extension: 'hotline_delay',
};

const TERMINAL = ['closed', 'rejected', 'merged'];
/** Statuses in which the case sits with the centre (指挥室 / 县中心): 待受理, 待派遣, 待核查. */
const AT_CENTRE = ['reported', 'accepted', 'handled'];

const unique = (units: (string | null | undefined)[]) => [...new Set(units.filter((u): u is string => !!u))];
const dispatchUnits = (c: RoutedChange) => ({
  lead: String(c.data.unitCode ?? ''), support: ((c.data.supportUnitCodes as string[] | undefined) ?? []).filter((u) => u !== c.data.unitCode),
});

interface Telling {
  /** The label of the notice (工作通知) and to-do subject. */
  label: string;
  units: { unit: string; reason: TodoReason }[];
  /** A to-do too (催办 is a notice only: the case already waits in the unit's list). */
  todo: boolean;
}

/**
 * Whom a change tells in 浙政钉 and why: dispatch 派遣 (the lead unit 主办 and the supporting units 协办), overdue — a red
 * card 红牌 (the unit holding the case) or the SLA's automatic escalation 超时自动上报 (the next centre) —, supervise 督办
 * (the owner and the centre), and urge 催办 (the owner; a notice only).
 */
export function tellingOf(c: RoutedChange): Telling | null {
  switch (c.type) {
    case 'dispatch': {
      const { lead, support } = dispatchUnits(c);
      return { label: '新派遣事件', todo: true, units: [{ unit: lead, reason: 'dispatch' as const }, ...support.map((unit) => ({ unit, reason: 'assist' as const }))]
        .filter((u, i, all) => !!u.unit && all.findIndex((x) => x.unit === u.unit) === i) };
    }
    case 'warn':
      return c.data.warning === 'red' && c.ownerUnitCode ? { label: '红牌超时', todo: true, units: [{ unit: c.ownerUnitCode, reason: 'overdue' }] } : null;
    case 'escalate':
      return c.actorRole === 'system' && typeof c.data.unitCode === 'string'
        ? { label: '超时自动上报', todo: true, units: [{ unit: c.data.unitCode, reason: 'overdue' }] } : null;
    case 'supervise':
      return { label: '督办', todo: true, units: unique([c.ownerUnitCode, c.centreUnitCode]).map((unit) => ({ unit, reason: 'supervise' as const })) };
    case 'urge':
      return c.ownerUnitCode ? { label: '催办', todo: false, units: [{ unit: c.ownerUnitCode, reason: 'overdue' }] } : null;
    default:
      return null;
  }
}

/**
 * Which open to-dos of its event a change finishes: all of them when the case ends (结案, 作废, 合并); the signing unit's
 * when it signs (签收); those of every unit the case leaves — re-dispatched (派遣: all but the new lead and supporting
 * units), escalated (上报: all but the next centre), back with the centre (退回, 反馈 → 待核查, 重办: all but the centre).
 */
export function finishedBy(c: RoutedChange, open: readonly OpenTodo[]): OpenTodo[] {
  if (open.length === 0) return [];
  if (TERMINAL.includes(c.toStatus)) return [...open];
  if (c.type === 'sign') return open.filter((t) => t.unitCode === c.actorUnitCode);
  if (c.type === 'dispatch') {
    const { lead, support } = dispatchUnits(c);
    return open.filter((t) => t.unitCode !== lead && !support.includes(t.unitCode));
  }
  if (c.type === 'escalate') return open.filter((t) => t.unitCode !== c.data.unitCode);
  if (AT_CENTRE.includes(c.toStatus) && c.fromStatus !== c.toStatus) return open.filter((t) => t.unitCode !== c.centreUnitCode);
  return [];
}

/** The workspace an assignee opens the case in (a to-do's link; relative to the web app's address). */
const workspaceOf = (role: string) => (role === 'county_operator' ? '/county/' : '/township/');

/**
 * The gateway deliveries one change implies, and the to-dos it opens and finishes (pure; `state` is updated). Message ids
 * are `<kind>:<timeline row id>[:…]`: the same change always yields the same ids, so a redelivery is applied once at the
 * gateway and a re-routed change is not written twice.
 *
 * - an event at county level (escalated, 上报到县), or of a category flagged for the province (上报省平台), or already
 *   reported → its change reported to the provincial platform, `seq` = its version (the level never goes down, an event
 *   once reported is followed to its end);
 * - dispatch, overdue and 督办 (催办 too, a notice only) → a 浙政钉 work notice to the handlers of each unit told (one
 *   notice per unit, `receiverIds` = their account ids, the payload records who), and a to-do for each of them who has no
 *   open one on the event; a unit without anyone mapped gets a skipped notice and a skipped to-do, with the reason;
 * - the to-dos the change finishes (finishedBy) → a finish per to-do (`zwdd_todo_done`), after the create in the event's
 *   order (the deliverer finishes with the taskUuid the create recorded);
 * - events from the 12345 hotline with a known order: sign, feedback, return, request_extension → the upward 12345 message.
 */
export function routeChange(c: RoutedChange, state: RoutingState = emptyRoutingState()): RoutedOutcome {
  const out: RoutedOutcome = { deliveries: [], opened: [], finished: [] };
  const add = (kind: GatewayDeliveryKind, payload: Record<string, unknown>, suffix = '', skipped?: string) => {
    const messageId = `${kind}:${c.actionId}${suffix}`;
    out.deliveries.push({ eventId: c.eventId, actionId: c.actionId, kind, messageId, payload: { messageId, ...payload }, ...(skipped ? { skipped } : {}) });
    return messageId;
  };
  if (c.toLevel === 'county' || c.reportToProvince || state.reported.has(c.eventId)) {
    state.reported.add(c.eventId);
    add('province_event', {
      eventId: c.eventId, eventCode: c.code, seq: c.version, status: c.toStatus, level: c.toLevel, categoryCode: c.categoryCode,
      description: c.description, lng: c.lng, lat: c.lat, regionCode: c.regionCode, changedAt: c.at.toISOString(),
      ...(c.note ? { note: c.note } : {}),
    });
  }

  // the to-dos the case no longer needs, before any new one (a re-dispatch finishes the old unit's, then opens the new one's)
  const open = state.openTodos.get(c.eventId) ?? [];
  const finished = finishedBy(c, open);
  for (const t of finished) {
    add('zwdd_todo_done', { bizTaskId: t.bizTaskId, unitCode: t.unitCode, userId: t.userId, accountId: t.accountId },
      `:${t.bizTaskId.slice('zwdd_todo:'.length)}`);
    out.finished.push({ bizTaskId: t.bizTaskId, actionId: c.actionId });
  }
  const still = open.filter((t) => !finished.includes(t));

  const telling = tellingOf(c);
  if (telling) {
    const text = `【${telling.label}】事件 ${c.code}：${c.description.slice(0, 60)}`;
    for (const { unit, reason } of telling.units) {
      const people = state.handlers.get(unit) ?? [];
      if (people.length === 0) {
        const why = `no one to tell: unit ${unit} has no active ${CASE_WORKING_ROLES.join('/')} with a 浙政钉 account (users.zwdd_account_id)`;
        add('zwdd_notice', { unitCode: unit, receiverIds: [], receivers: [], text }, `:${unit}`, why);
        if (telling.todo) add('zwdd_todo', { unitCode: unit, reason }, `:${unit}`, why);
        continue;
      }
      add('zwdd_notice', { unitCode: unit, receiverIds: people.map((p) => p.accountId), receivers: people.map((p) => ({ userId: p.userId, accountId: p.accountId })), text },
        `:${unit}`);
      if (!telling.todo) continue;
      const subject = `【${reason === 'dispatch' ? '待签收' : reason === 'assist' ? '协办' : telling.label}】${c.code} ${c.description.slice(0, 40)}`;
      for (const p of people) {
        if (still.some((t) => t.userId === p.userId)) continue; // one open to-do per person and case: the notice says what is new
        const link = `${workspaceOf(p.role)}?event=${c.eventId}`;
        const bizTaskId = add('zwdd_todo', { unitCode: unit, userId: p.userId, accountId: p.accountId, reason, subject, eventId: c.eventId, eventCode: c.code,
          url: link, mobileUrl: link }, `:${unit}:${p.userId}`);
        const todo: OpenTodo = { bizTaskId, eventId: c.eventId, unitCode: unit, userId: p.userId, accountId: p.accountId };
        still.push(todo);
        out.opened.push({ ...todo, actionId: c.actionId, reason });
      }
    }
  }
  if (still.length > 0 || state.openTodos.has(c.eventId)) state.openTodos.set(c.eventId, still);

  const hotline = HOTLINE_KIND[c.type];
  if (hotline && c.source === 'hotline12345' && c.orderNo) {
    const at = c.at.toISOString();
    const unit = c.ownerUnitCode ?? undefined;
    switch (hotline) {
      case 'hotline_sign': add(hotline, { orderNo: c.orderNo, signTime: at, handleUnit: unit }); break;
      case 'hotline_reply': add(hotline, { orderNo: c.orderNo, replyContent: c.note ?? '', replyTime: at, handleUnit: unit }); break;
      case 'hotline_return': add(hotline, { orderNo: c.orderNo, returnReason: c.note ?? String(c.data.reason ?? ''), returnTime: at, handleUnit: unit }); break;
      case 'hotline_delay': {
        const until = typeof c.data.until === 'string' ? Date.parse(c.data.until) : NaN;
        const days = Number.isFinite(until) ? Math.max(1, Math.ceil((until - c.at.getTime()) / 86_400_000)) : 1;
        add(hotline, { orderNo: c.orderNo, delayReason: String(c.data.reason ?? c.note ?? ''), delayDays: days, applyTime: at, handleUnit: unit });
        break;
      }
      default: break;
    }
  }
  return out;
}

/** The deliveries of one change (routeChange without the to-do bookkeeping). */
export function deliveriesOf(c: RoutedChange, state: RoutingState = emptyRoutingState()): NewDelivery[] {
  return routeChange(c, state).deliveries;
}

/** The units a batch of changes may tell, whose handlers the router reads before routing it. */
export function unitsToldBy(changes: readonly RoutedChange[]): string[] {
  return unique(changes.flatMap((c) => tellingOf(c)?.units.map((u) => u.unit) ?? []));
}
