/**
 * Event workflow (事件流转): the pure state machine behind every event (事件/案件) transition.
 *
 * No I/O and no framework: `transition(event, action, actor, now)` returns the next event, exactly one
 * timeline row (流转记录) and the effects the application layer must carry out (notices, SLA stage
 * clocks). The application resolves unit codes and checks jurisdiction; this module checks state,
 * role, unit and payload — in that order — and throws a `WorkflowError` on the first failure.
 */

export const EVENT_STATUSES = [
  'reported', // 待受理
  'accepted', // 已受理/已立案
  'dispatched', // 待签收
  'handling', // 处置中
  'handled', // 待核查
  'closed', // 已结案
  'rejected', // 作废/不予受理
  'merged', // 已合并
  'suspended', // 挂起
] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/** Level at which the event is being handled: village 村(自行处置) → township 乡镇 → county 县. */
export const LEVELS = ['village', 'township', 'county'] as const;
export type Level = (typeof LEVELS)[number];

/** Warning card: yellow 黄牌 at 80 % of a limit, red 红牌 when overdue. */
export const WARNINGS = ['none', 'yellow', 'red'] as const;
export type Warning = (typeof WARNINGS)[number];

export const ACTION_TYPES = [
  'accept', // 受理
  'reject', // 作废/不予受理
  'merge', // 合并
  'dispatch', // 派遣
  'sign', // 签收
  'return', // 退回
  'feedback', // 反馈
  'verify', // 核查
  'escalate', // 上报/提级
  'suspend', // 挂起
  'resume', // 恢复
  'request_extension', // 延期申请
  'approve_extension', // 延期审批
  'urge', // 催办
  'supervise', // 督办
  'rate', // 满意度评价
  'warn', // 预警 (黄牌/红牌)
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];
export type TimelineType = ActionType | 'report'; // report 上报

export const ROLES = [
  'grid_worker', // 网格员
  'township_dispatcher', // 乡镇调度员
  'handler', // 处置人员
  'county_operator', // 县中心坐席
  'county_leader', // 领导
  'admin', // 系统管理员
] as const;
export type Role = (typeof ROLES)[number];
export type ActorRole = Role | 'system';

/**
 * SLA stages (环节): accept 受理, dispatch 派遣, sign 签收, handle 处置, verify 核查. 受理 and 派遣 are separate steps with
 * limits of their own (DOMAIN §3.4): accepting ends the 受理 clock and starts the 派遣 clock.
 */
export const STAGES = ['accept', 'dispatch', 'sign', 'handle', 'verify'] as const;

/**
 * The complexity tier (复杂程度, DOMAIN §3.4) beside urgency: an urgent event is 紧急 whatever its tier; an ordinary one is
 * 一般 or 复杂, each with time limits of its own (sla_rules are keyed by category, urgency and tier). Set on 受理.
 */
export const COMPLEXITIES = ['ordinary', 'complex'] as const;
export type Complexity = (typeof COMPLEXITIES)[number];
export type Stage = (typeof STAGES)[number];

/**
 * The SLA stage whose clock runs while the event is in `status` (null: no clock). An escalated event waits in
 * 'accepted' with the next level's 受理 clock running (the escalate step names that stage itself).
 */
export function stageOf(status: EventStatus): Stage | null {
  switch (status) {
    case 'reported':
      return 'accept';
    case 'accepted':
      return 'dispatch';
    case 'dispatched':
      return 'sign';
    case 'handling':
      return 'handle';
    case 'handled':
      return 'verify';
    default:
      return null;
  }
}

const TERMINAL_STATUSES: readonly EventStatus[] = ['closed', 'rejected', 'merged'];

/** Every status in which the event is still being worked on (all but closed, rejected, merged). */
export const OPEN_STATUSES: readonly EventStatus[] = EVENT_STATUSES.filter((s) => !TERMINAL_STATUSES.includes(s));

export interface WorkflowEvent {
  status: EventStatus;
  level: Level;
  /** The unit that must act next. */
  ownerUnitCode: string;
  /** Command room 指挥室 (township) or county centre 县中心 coordinating at the current level. */
  centreUnitCode: string;
  /** Unit dispatched to (lead, 主办). */
  handlerUnitCode: string | null;
  /** Supporting units (协办). */
  supportUnitCodes: string[];
  /** Every unit that ever held the event (centre units and handler units), no duplicates. */
  involvedUnitCodes: string[];
  /** The handler user who signed (签收). */
  assigneeId: string | null;
  warning: Warning;
  version: number;
  suspendedFromStatus: EventStatus | null;
  /** ISO time of a pending extension (延期) request. */
  extensionRequestedUntil: string | null;
  /** ISO time: approved new handling due time. */
  extendedUntil: string | null;
  mergedIntoId: string | null;
  urgeCount: number;
  supervised: boolean;
  reworkCount: number;
  returnCount: number;
  rating: number | null;
  resolvedOnSite: boolean;
  reporterId: string | null;
  closedAt: string | null;
}

export interface WorkflowActor {
  id: string | null;
  role: ActorRole;
  unitCode: string | null;
}

export interface WorkflowAction {
  type: ActionType;
  unitCode?: string;
  supportUnitCodes?: string[];
  note?: string;
  reason?: string;
  pass?: boolean;
  score?: number;
  targetEventId?: string;
  until?: string;
  attachmentIds?: string[];
  /** Only for 'warn'. */
  warning?: Warning;
  /** Only for 'accept': the tier the centre classifies the case as (absent: unchanged). */
  complexity?: Complexity;
}

export interface TimelineEntry {
  type: TimelineType;
  fromStatus: EventStatus | null;
  toStatus: EventStatus;
  fromLevel: Level | null;
  toLevel: Level;
  actorId: string | null;
  actorRole: ActorRole;
  unitCode: string | null;
  note: string | null;
  data: Record<string, unknown>;
  attachmentIds: string[];
  /** ISO time. */
  at: string;
}

export type WorkflowEffect =
  /** Tell a unit (work notice / to-do). */
  | { kind: 'notify'; unitCode: string; topic: TimelineType }
  /**
   * The SLA stage (re)starts, or stops (null). Emitted whenever the status changes, on an approved
   * extension and on escalation (the next level's 受理 clock starts even from 'accepted').
   */
  | { kind: 'stage'; stage: Stage | null };

export interface TransitionResult {
  event: WorkflowEvent;
  timeline: TimelineEntry;
  effects: WorkflowEffect[];
}

export type WorkflowErrorCode = 'action_not_allowed' | 'role_not_allowed' | 'unit_not_allowed' | 'invalid_action';

export class WorkflowError extends Error {
  constructor(
    readonly code: WorkflowErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'WorkflowError';
  }
}

export interface NewReport {
  reporterId: string | null;
  centreUnitCode: string;
  /** 自行处置: the grid worker solved it on the spot; the township only verifies. */
  resolvedOnSite: boolean;
  note?: string;
  attachmentIds?: string[];
}

// ---------------------------------------------------------------------------------------------
// Who may act, and in which state
// ---------------------------------------------------------------------------------------------

/**
 * Who may take an action. An actor passes when they are the reporter (if `reporter`), when their
 * role is in `anyUnitRoles`, or when their role is in `unitRoles` and their unit is `unitOf(event)`.
 */
interface Authority {
  unitRoles: readonly ActorRole[];
  unitOf: (event: WorkflowEvent) => string | null;
  anyUnitRoles: readonly ActorRole[];
  reporter: boolean;
}

const CENTRE_ROLES: readonly Role[] = ['township_dispatcher', 'county_operator'];

const centre: Authority = {
  unitRoles: CENTRE_ROLES,
  unitOf: (e) => e.centreUnitCode,
  anyUnitRoles: [],
  reporter: false,
};
const handler: Authority = {
  unitRoles: ['handler'],
  unitOf: (e) => e.handlerUnitCode,
  anyUnitRoles: [],
  reporter: false,
};
const anyUnit = (...roles: ActorRole[]): Authority => ({
  unitRoles: [],
  unitOf: () => null,
  anyUnitRoles: roles,
  reporter: false,
});

/** Returns null when the state allows the action, else why not. */
type StateGuard = (event: WorkflowEvent) => string | null;

const statusIn =
  (...statuses: readonly EventStatus[]): StateGuard =>
  (e) =>
    statuses.includes(e.status) ? null : `not allowed while the event is ${e.status}`;

const both =
  (first: StateGuard, second: StateGuard): StateGuard =>
  (e) =>
    first(e) ?? second(e);

interface ActionRule {
  state: StateGuard;
  who: Authority;
}

const RULES: Record<ActionType, ActionRule> = {
  accept: { state: statusIn('reported'), who: centre },
  reject: { state: statusIn('reported', 'accepted'), who: centre },
  merge: { state: statusIn('reported', 'accepted'), who: centre },
  dispatch: { state: statusIn('accepted'), who: centre },
  sign: { state: statusIn('dispatched'), who: handler },
  return: { state: statusIn('dispatched', 'handling'), who: handler },
  feedback: { state: statusIn('handling'), who: handler },
  verify: { state: statusIn('handled'), who: centre },
  escalate: {
    state: both(statusIn('reported', 'accepted', 'dispatched'), (e) =>
      e.level === 'county' ? 'the event is already at county level' : null,
    ),
    who: { ...centre, anyUnitRoles: ['system'] },
  },
  suspend: { state: statusIn('accepted', 'dispatched', 'handling'), who: centre },
  resume: { state: statusIn('suspended'), who: centre },
  request_extension: {
    state: both(statusIn('handling'), (e) =>
      e.extensionRequestedUntil !== null ? 'an extension request is already pending' : null,
    ),
    who: handler,
  },
  approve_extension: {
    state: both(statusIn('handling'), (e) =>
      e.extensionRequestedUntil === null ? 'no extension request is pending' : null,
    ),
    who: centre,
  },
  urge: {
    state: statusIn(...OPEN_STATUSES),
    who: { ...centre, anyUnitRoles: ['county_operator', 'county_leader', 'system'] },
  },
  supervise: { state: statusIn(...OPEN_STATUSES), who: anyUnit('county_leader', 'county_operator', 'system') },
  rate: {
    state: both(statusIn('closed'), (e) => (e.rating !== null ? 'the event has already been rated' : null)),
    who: { ...centre, reporter: true },
  },
  warn: { state: statusIn(...OPEN_STATUSES), who: anyUnit('system') },
};

interface Denial {
  code: WorkflowErrorCode;
  message: string;
}

/**
 * State, then role, then unit: the first reason `actor` may not take `type` on `event`, or null.
 * Returns a plain object (no Error, no stack trace) so that `allowedActions` stays cheap.
 */
function deny(event: WorkflowEvent, type: ActionType, actor: WorkflowActor): Denial | null {
  const rule = RULES[type];
  const stateProblem = rule.state(event);
  if (stateProblem !== null) return { code: 'action_not_allowed', message: `${type}: ${stateProblem}` };
  const who = rule.who;
  if (who.reporter && actor.id !== null && actor.id === event.reporterId) return null;
  if (who.anyUnitRoles.includes(actor.role)) return null;
  if (!who.unitRoles.includes(actor.role)) {
    return { code: 'role_not_allowed', message: `${type}: role ${actor.role} may not take this action` };
  }
  const unit = who.unitOf(event);
  if (unit === null || actor.unitCode !== unit) {
    const unitName = actor.unitCode ?? '(none)';
    return { code: 'unit_not_allowed', message: `${type}: unit ${unitName} may not act on this event` };
  }
  return null;
}

function isActionType(value: unknown): value is ActionType {
  return typeof value === 'string' && (ACTION_TYPES as readonly string[]).includes(value);
}

/** The action types `transition` would accept for this event and actor (ignoring payload validation). */
export function allowedActions(event: WorkflowEvent, actor: WorkflowActor): ActionType[] {
  return ACTION_TYPES.filter((type) => deny(event, type, actor) === null);
}

/**
 * Who may take which action now, as a list that names no single user (a live message reaches many screens): a user
 * holds a grant when their role is `role` (null: any role), their unit is `unitCode` (null: any unit) and, for a
 * `reporter` grant, they reported the event. Derived from the same rules as `allowedActions`, so for every user
 * the actions of the grants they hold are exactly `allowedActions(event, user)`. The SLA engine's grants are left out.
 */
export interface ActionGrant {
  role: Role | null;
  unitCode: string | null;
  reporter: boolean;
  actions: ActionType[];
}

export function actionGrants(event: WorkflowEvent): ActionGrant[] {
  const grants = new Map<string, ActionGrant>();
  const add = (role: Role | null, unitCode: string | null, reporter: boolean, type: ActionType) => {
    const key = `${role}|${unitCode}|${reporter}`;
    let grant = grants.get(key);
    if (!grant) grants.set(key, (grant = { role, unitCode, reporter, actions: [] }));
    grant.actions.push(type);
  };
  const userRole = (r: ActorRole): r is Role => r !== 'system';
  for (const type of ACTION_TYPES) {
    const rule = RULES[type];
    if (rule.state(event) !== null) continue;
    if (rule.who.reporter && event.reporterId !== null) add(null, null, true, type);
    for (const role of rule.who.anyUnitRoles.filter(userRole)) add(role, null, false, type);
    const unit = rule.who.unitOf(event);
    if (unit !== null) for (const role of rule.who.unitRoles.filter(userRole)) add(role, unit, false, type);
  }
  return [...grants.values()];
}

/**
 * Throws the WorkflowError `transition` would throw for the state, the role or the unit, before any payload is
 * looked at: lets the application refuse an action before it resolves the payload's references.
 */
export function authorize(event: WorkflowEvent, type: ActionType, actor: WorkflowActor): void {
  const denial = deny(event, type, actor);
  if (denial) throw new WorkflowError(denial.code, denial.message);
}

// ---------------------------------------------------------------------------------------------
// Payload validation
// ---------------------------------------------------------------------------------------------

function invalid(field: string, message: string): WorkflowError {
  return new WorkflowError('invalid_action', message, field);
}

function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(field, `${field} is required`);
  return value.trim();
}

function requireBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw invalid(field, `${field} must be true or false`);
  return value;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A date-only deadline ('YYYY-MM-DD') means the end of that working day in Asia/Shanghai: 17:30 +08:00 (the end of
 * DEFAULT_WORKING_HOURS), never UTC midnight (08:00 in Beijing). Date-times pass unchanged.
 */
export function deadlineInstant(value: string): string {
  return DATE_ONLY.test(value) ? `${value}T17:30:00+08:00` : value;
}

/** A valid ISO date (date-only: 17:30 Asia/Shanghai of that day; or date-time with a zone) strictly after `now`, normalised to UTC ISO. */
function requireFutureIso(value: unknown, now: Date, field: string): string {
  if (typeof value !== 'string' || !ISO_DATE.test(value)) throw invalid(field, `${field} must be an ISO date`);
  const time = Date.parse(deadlineInstant(value));
  const midnight = Date.parse(`${value.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(midnight) || new Date(midnight).toISOString().slice(0, 10) !== value.slice(0, 10)) {
    throw invalid(field, `${field} must be an ISO date`); // e.g. 2026-02-30, which Date.parse rolls over
  }
  if (Number.isNaN(time)) throw invalid(field, `${field} must be an ISO date`);
  if (time <= now.getTime()) throw invalid(field, `${field} must be after now`);
  return new Date(time).toISOString();
}

function readStringList(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.trim() === '')) {
    throw invalid(field, `${field} must be a list of non-empty strings`);
  }
  return unique((value as string[]).map((v) => v.trim()));
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** One level up: village 村 → township 乡镇 → county 县. */
function levelAbove(level: Level): Level {
  return level === 'village' ? 'township' : 'county';
}

/** When the centre takes over a village-level (self-resolved) event, it is handled at township level. */
function centreLevel(level: Level): Level {
  return level === 'village' ? 'township' : level;
}

// ---------------------------------------------------------------------------------------------
// Transitions
// ---------------------------------------------------------------------------------------------

interface Step {
  changes: Partial<WorkflowEvent>;
  data: Record<string, unknown>;
  /** Units to tell, besides a new owner (always told). */
  notify?: readonly (string | null)[];
  /** Restart the SLA stage clock even though the status may not change (approved extension, escalation). */
  restartStage?: boolean;
  /** The stage that starts, when it is not stageOf(the new status) (escalation: the next level's 受理). */
  stage?: Stage | null;
}

type Apply = (event: WorkflowEvent, action: WorkflowAction, actor: WorkflowActor, now: Date) => Step;

/** Back to the centre's queue with no handler (退回, 提级, 重办). */
function backToCentre(centreUnitCode: string): Partial<WorkflowEvent> {
  return {
    status: 'accepted',
    ownerUnitCode: centreUnitCode,
    handlerUnitCode: null,
    supportUnitCodes: [],
    assigneeId: null,
    extendedUntil: null,
  };
}

const APPLY: Record<ActionType, Apply> = {
  accept: (e, a) => {
    if (a.complexity !== undefined && !COMPLEXITIES.includes(a.complexity)) {
      throw invalid('complexity', `complexity must be one of ${COMPLEXITIES.join(', ')}`);
    }
    return { changes: { status: 'accepted', ownerUnitCode: e.centreUnitCode }, data: a.complexity ? { complexity: a.complexity } : {} };
  },

  reject: (_e, a) => {
    const reason = requireText(a.reason, 'reason');
    return { changes: { status: 'rejected' }, data: { reason } };
  },

  merge: (_e, a) => {
    const targetEventId = requireText(a.targetEventId, 'targetEventId');
    return { changes: { status: 'merged', mergedIntoId: targetEventId }, data: { targetEventId } };
  },

  dispatch: (e, a) => {
    const unitCode = requireText(a.unitCode, 'unitCode');
    if (unitCode === e.centreUnitCode) throw invalid('unitCode', 'unitCode must be a unit other than the centre');
    const supportUnitCodes = readStringList(a.supportUnitCodes, 'supportUnitCodes');
    if (supportUnitCodes.includes(unitCode) || supportUnitCodes.includes(e.centreUnitCode)) {
      throw invalid('supportUnitCodes', 'supportUnitCodes (协办) must not include the lead unit or the centre');
    }
    return {
      changes: {
        status: 'dispatched',
        ownerUnitCode: unitCode,
        handlerUnitCode: unitCode,
        supportUnitCodes,
        involvedUnitCodes: unique([...e.involvedUnitCodes, unitCode, ...supportUnitCodes]),
        assigneeId: null,
        extendedUntil: null,
      },
      data: { unitCode, supportUnitCodes: [...supportUnitCodes] },
      notify: [unitCode, ...supportUnitCodes],
    };
  },

  sign: (e, _a, actor) => ({
    changes: { status: 'handling', assigneeId: actor.id },
    data: {},
    notify: [e.centreUnitCode],
  }),

  return: (e, a) => {
    const reason = requireText(a.reason, 'reason');
    return {
      changes: { ...backToCentre(e.centreUnitCode), returnCount: e.returnCount + 1 },
      data: { reason },
      notify: [e.centreUnitCode],
    };
  },

  feedback: (e, a) => {
    requireText(a.note, 'note');
    return { changes: { status: 'handled', ownerUnitCode: e.centreUnitCode }, data: {}, notify: [e.centreUnitCode] };
  },

  verify: (e, a, _actor, now) => {
    const pass = requireBoolean(a.pass, 'pass');
    if (pass) {
      // A new closure (结案) opens a new satisfaction survey, so any earlier rating is cleared.
      return {
        changes: { status: 'closed', ownerUnitCode: e.centreUnitCode, closedAt: now.toISOString(), rating: null },
        data: { pass },
      };
    }
    if (e.handlerUnitCode !== null) {
      // 返工 (rework): back to the same handler unit.
      return {
        changes: { status: 'handling', ownerUnitCode: e.handlerUnitCode, reworkCount: e.reworkCount + 1 },
        data: { pass },
      };
    }
    // A self-resolved report (自行处置) that failed verification: the centre dispatches it.
    return {
      changes: { status: 'accepted', ownerUnitCode: e.centreUnitCode, level: centreLevel(e.level) },
      data: { pass },
    };
  },

  escalate: (e, a) => {
    const reason = requireText(a.reason, 'reason');
    const unitCode = requireText(a.unitCode, 'unitCode');
    if (unitCode === e.centreUnitCode) throw invalid('unitCode', 'unitCode must be the next level centre');
    return {
      changes: {
        ...backToCentre(unitCode),
        level: levelAbove(e.level),
        centreUnitCode: unitCode,
        involvedUnitCodes: unique([...e.involvedUnitCodes, unitCode]),
      },
      data: { unitCode, reason },
      notify: [e.handlerUnitCode],
      // The new centre's 受理 clock starts even when the status stays 'accepted'.
      restartStage: true,
      stage: 'accept',
    };
  },

  suspend: (e, a) => {
    const reason = requireText(a.reason, 'reason');
    return {
      changes: { status: 'suspended', suspendedFromStatus: e.status },
      data: { reason },
      notify: [e.ownerUnitCode],
    };
  },

  resume: (e) => ({
    changes: { status: e.suspendedFromStatus ?? 'accepted', suspendedFromStatus: null },
    data: {},
    notify: [e.ownerUnitCode],
  }),

  request_extension: (e, a, _actor, now) => {
    const until = requireFutureIso(a.until, now, 'until');
    const reason = requireText(a.reason, 'reason');
    return { changes: { extensionRequestedUntil: until }, data: { until, reason }, notify: [e.centreUnitCode] };
  },

  approve_extension: (e, a) => {
    const pass = a.pass === undefined ? true : requireBoolean(a.pass, 'pass');
    const until = e.extensionRequestedUntil;
    return {
      changes: pass ? { extendedUntil: until, extensionRequestedUntil: null } : { extensionRequestedUntil: null },
      data: { pass, until },
      notify: [e.handlerUnitCode],
      restartStage: pass,
    };
  },

  urge: (e) => ({ changes: { urgeCount: e.urgeCount + 1 }, data: {}, notify: [e.ownerUnitCode] }),

  supervise: (e) => ({ changes: { supervised: true }, data: {}, notify: [e.ownerUnitCode, e.centreUnitCode] }),

  rate: (e, a) => {
    const score = a.score;
    if (typeof score !== 'number' || !Number.isInteger(score) || score < 1 || score > 5) {
      throw invalid('score', 'score must be an integer from 1 to 5');
    }
    if (score > 2) return { changes: { rating: score }, data: { score } };
    // Dissatisfied (不满意): reopen as 重办 in the centre's queue.
    return {
      changes: {
        ...backToCentre(e.centreUnitCode),
        level: centreLevel(e.level),
        closedAt: null,
        rating: score,
      },
      data: { score },
      notify: [e.centreUnitCode],
    };
  },

  warn: (e, a) => {
    const warning = a.warning;
    if (typeof warning !== 'string' || !(WARNINGS as readonly string[]).includes(warning)) {
      throw invalid('warning', `warning must be one of ${WARNINGS.join(', ')}`);
    }
    if (warning === e.warning) throw invalid('warning', `the warning is already ${warning}`);
    return { changes: { warning }, data: { warning }, notify: warning === 'none' ? [] : [e.ownerUnitCode] };
  },
};

function copyEvent(event: WorkflowEvent): WorkflowEvent {
  return {
    ...event,
    supportUnitCodes: [...event.supportUnitCodes],
    involvedUnitCodes: [...event.involvedUnitCodes],
  };
}

/**
 * Apply `action` by `actor` at `now`. Never mutates its inputs. Throws `WorkflowError`, checking the
 * state first, then the role, then the unit, then the payload.
 */
export function transition(
  event: WorkflowEvent,
  action: WorkflowAction,
  actor: WorkflowActor,
  now: Date,
): TransitionResult {
  if (!isActionType(action.type)) throw invalid('type', `unknown action type ${String(action.type)}`);
  const denied = deny(event, action.type, actor);
  if (denied !== null) throw new WorkflowError(denied.code, denied.message);

  const step = APPLY[action.type](event, action, actor, now);
  const attachmentIds = readStringList(action.attachmentIds, 'attachmentIds');
  const at = now.toISOString();

  const next: WorkflowEvent = { ...copyEvent(event), ...step.changes, version: event.version + 1 };
  const statusChanged = next.status !== event.status;
  const stageRestarts = statusChanged || step.restartStage === true;
  // A new stage clock makes the old warning card stale; 'warn' itself is the only way to set one.
  if (stageRestarts && action.type !== 'warn') next.warning = 'none';
  // A pending extension request only lives while the event is being handled (or suspended from that).
  if (statusChanged && next.status !== 'handling' && next.status !== 'suspended') next.extensionRequestedUntil = null;

  const effects: WorkflowEffect[] = [];
  const told = new Set<string>();
  const notify = (unitCode: string | null): void => {
    if (unitCode === null || told.has(unitCode)) return;
    told.add(unitCode);
    effects.push({ kind: 'notify', unitCode, topic: action.type });
  };
  if (next.ownerUnitCode !== event.ownerUnitCode) notify(next.ownerUnitCode);
  for (const unitCode of step.notify ?? []) notify(unitCode);
  if (stageRestarts) effects.push({ kind: 'stage', stage: step.stage !== undefined ? step.stage : stageOf(next.status) });

  const timeline: TimelineEntry = {
    type: action.type,
    fromStatus: event.status,
    toStatus: next.status,
    fromLevel: event.level,
    toLevel: next.level,
    actorId: actor.id,
    actorRole: actor.role,
    unitCode: actor.unitCode,
    note: action.note ?? action.reason ?? null,
    data: step.data,
    attachmentIds,
    at,
  };
  return { event: next, timeline, effects };
}

/** The initial event (version 1) for a new report (上报), with its 'report' timeline row. */
export function createReport(input: NewReport, actor: WorkflowActor, now: Date): TransitionResult {
  const centreUnitCode = requireText(input.centreUnitCode, 'centreUnitCode');
  const resolvedOnSite = requireBoolean(input.resolvedOnSite, 'resolvedOnSite');
  const attachmentIds = readStringList(input.attachmentIds, 'attachmentIds');
  // 自行处置: solved on the spot at village level, waiting for the township to verify (核查).
  const status: EventStatus = resolvedOnSite ? 'handled' : 'reported';
  const level: Level = resolvedOnSite ? 'village' : 'township';
  const event: WorkflowEvent = {
    status,
    level,
    ownerUnitCode: centreUnitCode,
    centreUnitCode,
    handlerUnitCode: null,
    supportUnitCodes: [],
    involvedUnitCodes: [centreUnitCode],
    assigneeId: null,
    warning: 'none',
    version: 1,
    suspendedFromStatus: null,
    extensionRequestedUntil: null,
    extendedUntil: null,
    mergedIntoId: null,
    urgeCount: 0,
    supervised: false,
    reworkCount: 0,
    returnCount: 0,
    rating: null,
    resolvedOnSite,
    reporterId: input.reporterId,
    closedAt: null,
  };
  const timeline: TimelineEntry = {
    type: 'report',
    fromStatus: null,
    toStatus: status,
    fromLevel: null,
    toLevel: level,
    actorId: actor.id,
    actorRole: actor.role,
    unitCode: actor.unitCode,
    note: input.note ?? null,
    data: { centreUnitCode, resolvedOnSite },
    attachmentIds,
    at: now.toISOString(),
  };
  return {
    event,
    timeline,
    effects: [
      { kind: 'notify', unitCode: centreUnitCode, topic: 'report' },
      { kind: 'stage', stage: stageOf(status) },
    ],
  };
}
