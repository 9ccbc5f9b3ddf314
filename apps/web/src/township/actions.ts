/**
 * The action forms of the event panel: which fields each action (动作) asks for, and the request body it becomes
 * (POST /events/:id/actions; the fields each action needs are the workflow's, libs/domain/src/workflow.ts). The page
 * never decides whether an action is allowed: it shows exactly the event's `allowedActions`.
 */
import type { EventActionType } from '@contracts/actions';
import type { EventActionRequest } from '@contracts/events';

export type Field = 'note' | 'reason' | 'target' | 'lead' | 'support' | 'feedback' | 'photos' | 'pass' | 'approve' | 'until' | 'score' | 'complexity';

export const FIELDS: Record<EventActionType, readonly Field[]> = {
  accept: ['complexity', 'note'],
  reject: ['reason'],
  merge: ['target', 'note'],
  dispatch: ['lead', 'support', 'note'],
  sign: ['note'],
  return: ['reason'],
  feedback: ['feedback', 'photos'],
  verify: ['pass', 'note'],
  escalate: ['reason'],
  suspend: ['reason'],
  resume: ['note'],
  request_extension: ['until', 'reason'],
  approve_extension: ['approve', 'note'],
  urge: ['note'],
  supervise: ['note'],
  rate: ['score', 'note'],
};

/** The main road of the workflow (shown as primary buttons); the rest are plain, 作废/退回 as warnings. */
export const PRIMARY: ReadonlySet<EventActionType> = new Set(['accept', 'dispatch', 'sign', 'feedback', 'verify', 'approve_extension', 'resume']);
export const DANGER: ReadonlySet<EventActionType> = new Set(['reject', 'return', 'escalate']);

export interface ActionForm {
  note: string;
  reason: string;
  targetEventId: string;
  unitCode: string;
  supportUnitCodes: string[];
  attachmentIds: string[];
  pass: boolean;
  approve: boolean;
  /** Shanghai wall-clock `YYYY-MM-DD HH:mm:ss` from the date picker, '' when not chosen. */
  until: string;
  score: number;
  /** 受理: 复杂程度 (一般 / 复杂), the tier whose time limits apply from now on. */
  complexity: 'ordinary' | 'complex';
}

export const emptyForm = (): ActionForm => ({
  note: '', reason: '', targetEventId: '', unitCode: '', supportUnitCodes: [], attachmentIds: [], pass: true, approve: true,
  until: '', score: 0, complexity: 'ordinary',
});

/** A Shanghai wall-clock time `YYYY-MM-DD HH:mm(:ss)` as an RFC 3339 instant with its offset. */
export function shanghaiInstant(local: string): string {
  const [d, t = '17:30:00'] = local.trim().split(/[ T]/);
  const time = t.length === 5 ? `${t}:00` : t;
  return `${d}T${time}+08:00`;
}

/** The request body of `type` from the form (text trimmed; empty optional fields left out). */
export function actionBody(type: EventActionType, f: ActionForm, expectedVersion: number): EventActionRequest {
  const body: EventActionRequest = { type, expectedVersion };
  const note = f.note.trim();
  const reason = f.reason.trim();
  switch (type) {
    case 'reject': case 'return': case 'escalate': case 'suspend':
      body.reason = reason;
      break;
    case 'merge':
      body.targetEventId = f.targetEventId;
      if (note) body.note = note;
      break;
    case 'dispatch':
      body.unitCode = f.unitCode;
      body.supportUnitCodes = f.supportUnitCodes.filter((c) => c !== f.unitCode);
      if (note) body.note = note;
      break;
    case 'feedback':
      body.note = note;
      if (f.attachmentIds.length) body.attachmentIds = [...f.attachmentIds];
      break;
    case 'verify':
      body.pass = f.pass;
      // 返工: the reason goes back to the handler with the event
      if (note) { if (f.pass) body.note = note; else body.reason = note; }
      break;
    case 'request_extension':
      body.until = f.until ? shanghaiInstant(f.until) : '';
      body.reason = reason;
      break;
    case 'approve_extension':
      body.pass = f.approve;
      if (note) body.note = note;
      break;
    case 'accept':
      body.complexity = f.complexity;
      if (note) body.note = note;
      break;
    case 'rate':
      body.score = f.score;
      if (note) body.note = note;
      break;
    default:
      if (note) body.note = note;
  }
  return body;
}

/** What the form is missing before it can be sent (the API checks the same and names the field; this saves a trip). */
export function missing(type: EventActionType, f: ActionForm): Field | null {
  const fields = FIELDS[type];
  if (fields.includes('reason') && !f.reason.trim()) return 'reason';
  if (fields.includes('feedback') && !f.note.trim()) return 'feedback';
  if (fields.includes('target') && !f.targetEventId) return 'target';
  if (fields.includes('lead') && !f.unitCode) return 'lead';
  if (fields.includes('until') && !f.until) return 'until';
  if (fields.includes('score') && !(f.score >= 1 && f.score <= 5)) return 'score';
  return null;
}
