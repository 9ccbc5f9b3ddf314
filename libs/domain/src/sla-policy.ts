import { warningAt } from './sla.js';
import { OPEN_STATUSES } from './workflow.js';
import type { EventStatus, Level, Stage, Warning } from './workflow.js';

/**
 * The time-limit policy (黄牌/红牌, 催办, 自动上报) as pure decisions over an event's stage marks.
 * The worker applies them through the workflow door, one transition each.
 */
export interface SlaState {
  status: EventStatus;
  level: Level;
  warning: Warning;
  stage: Stage | null;
  paused: boolean;
  yellowAt: Date | null;
  dueAt: Date | null;
  escalateAt: Date | null;
  /** Red for longer than the rule allows → automatic 督办 at this instant (null: never). */
  superviseAt?: Date | null;
  /** Already under 督办. */
  supervised?: boolean;
}

export type SlaDecision =
  | { kind: 'warn'; warning: Warning }
  | { kind: 'urge'; note: string }
  | { kind: 'escalate'; reason: string }
  | { kind: 'supervise'; note: string };

const RANK: Record<Warning, number> = { none: 0, yellow: 1, red: 2 };
const STAGE_NAMES: Record<Stage, string> = { accept: '受理', dispatch: '派遣', sign: '签收', handle: '处置', verify: '核查' };

/** Only an unaccepted, undispatched or unsigned event climbs a level by itself (red 受理/派遣/签收), and never past the county. */
export function escalatesAutomatically(s: Pick<SlaState, 'stage' | 'level' | 'status'>): boolean {
  return (s.stage === 'accept' || s.stage === 'dispatch' || s.stage === 'sign') && s.level !== 'county'
    && (s.status === 'reported' || s.status === 'accepted' || s.status === 'dispatched');
}

function running(s: SlaState): boolean {
  return s.stage !== null && !s.paused && s.status !== 'suspended' && OPEN_STATUSES.includes(s.status);
}

/** The next instant at which the policy may decide something, or null when nothing is pending. */
export function nextSlaMark(s: SlaState): Date | null {
  if (!running(s) || !s.dueAt) return null;
  if (RANK[s.warning] < RANK.yellow && s.yellowAt) return s.yellowAt;
  if (RANK[s.warning] < RANK.red) return s.dueAt;
  const marks: number[] = [];
  if (escalatesAutomatically(s) && s.escalateAt) marks.push(s.escalateAt.getTime());
  if (!s.supervised && s.superviseAt) marks.push(s.superviseAt.getTime());
  return marks.length ? new Date(Math.min(...marks)) : null;
}

/**
 * What is due at `now`: the warning moves up (never down), turning red brings an automatic 催办 to the owner,
 * a red 受理/派遣/签收 stage past its grace escalates one level, and a stage red for longer than the rule's 督办 time
 * (superviseAt) is put under 督办 once. Empty when nothing is due.
 */
export function slaDecisions(s: SlaState, now: Date): SlaDecision[] {
  if (!running(s) || !s.dueAt || !s.yellowAt || !s.stage) return [];
  const decisions: SlaDecision[] = [];
  const desired = warningAt({ yellowAt: s.yellowAt, dueAt: s.dueAt }, now);
  const stageName = STAGE_NAMES[s.stage];
  if (RANK[desired] > RANK[s.warning]) {
    decisions.push({ kind: 'warn', warning: desired });
    if (desired === 'red') decisions.push({ kind: 'urge', note: `${stageName}超时（红牌），系统自动催办` });
  }
  const red = RANK[desired] >= RANK.red;
  if (red && escalatesAutomatically(s) && s.escalateAt && now.getTime() >= s.escalateAt.getTime()) {
    const next = s.level === 'village' ? '乡镇' : '县级';
    decisions.push({ kind: 'escalate', reason: `${stageName}超时（红牌）且超过宽限期，系统自动上报${next}` });
    return decisions; // the escalation starts a new stage: its own clock decides about 督办
  }
  if (red && !s.supervised && s.superviseAt && now.getTime() >= s.superviseAt.getTime()) {
    decisions.push({ kind: 'supervise', note: `${stageName}红牌超过规定时间，系统自动督办` });
  }
  return decisions;
}
