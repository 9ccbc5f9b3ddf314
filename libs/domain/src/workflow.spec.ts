import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import {
  ACTION_TYPES,
  EVENT_STATUSES,
  LEVELS,
  OPEN_STATUSES,
  ROLES,
  STAGES,
  WARNINGS,
  WorkflowError,
  actionGrants,
  allowedActions,
  authorize,
  createReport,
  stageOf,
  transition,
  type ActionType,
  type EventStatus,
  type NewReport,
  type TransitionResult,
  type WorkflowAction,
  type WorkflowActor,
  type WorkflowErrorCode,
  type WorkflowEvent,
} from './workflow.js';

const NOW = new Date('2025-03-10T08:00:00.000Z');
const FUTURE = '2025-03-20T08:00:00.000Z';
const PAST = '2025-03-01T08:00:00.000Z';

// Units: C1 township command room 乡镇指挥室, C2 county centre 县中心, H1/H2 handler units 处置单位.
const reporter: WorkflowActor = { id: 'g1', role: 'grid_worker', unitCode: 'G1' };
const dispatcher: WorkflowActor = { id: 'd1', role: 'township_dispatcher', unitCode: 'C1' };
const foreignDispatcher: WorkflowActor = { id: 'd9', role: 'township_dispatcher', unitCode: 'C9' };
const countyOperator: WorkflowActor = { id: 'o1', role: 'county_operator', unitCode: 'C2' };
const leader: WorkflowActor = { id: 'l1', role: 'county_leader', unitCode: 'C2' };
const handler: WorkflowActor = { id: 'h1', role: 'handler', unitCode: 'H1' };
const otherHandler: WorkflowActor = { id: 'h2', role: 'handler', unitCode: 'H2' };
const admin: WorkflowActor = { id: 'a1', role: 'admin', unitCode: 'C1' };
const system: WorkflowActor = { id: null, role: 'system', unitCode: null };

const report = (overrides: Partial<NewReport> = {}): TransitionResult =>
  createReport({ reporterId: 'g1', centreUnitCode: 'C1', resolvedOnSite: false, ...overrides }, reporter, NOW);

const run = (event: WorkflowEvent, action: WorkflowAction, actor: WorkflowActor = dispatcher): TransitionResult =>
  transition(event, action, actor, NOW);
const act = (event: WorkflowEvent, action: WorkflowAction, actor: WorkflowActor = dispatcher): WorkflowEvent =>
  run(event, action, actor).event;

const reported = (): WorkflowEvent => report().event;
const accepted = (): WorkflowEvent => act(reported(), { type: 'accept' });
const dispatched = (): WorkflowEvent => act(accepted(), { type: 'dispatch', unitCode: 'H1', supportUnitCodes: ['H2'] });
const handling = (): WorkflowEvent => act(dispatched(), { type: 'sign' }, handler);
const handled = (): WorkflowEvent => act(handling(), { type: 'feedback', note: 'cleared the drain' }, handler);
const closed = (): WorkflowEvent => act(handled(), { type: 'verify', pass: true });
const selfResolved = (): WorkflowEvent => report({ resolvedOnSite: true }).event;
const withPendingExtension = (): WorkflowEvent =>
  act(handling(), { type: 'request_extension', until: FUTURE, reason: 'waiting for parts' }, handler);

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a WorkflowError, nothing was thrown');
}

function expectError(fn: () => unknown, code: WorkflowErrorCode, field?: string): void {
  const error = caught(fn);
  expect(error).toBeInstanceOf(WorkflowError);
  expect((error as WorkflowError).code).toBe(code);
  if (field !== undefined) expect((error as WorkflowError).field).toBe(field);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

describe('workflow constants', () => {
  it('maps statuses to SLA stages', () => {
    expect(stageOf('reported')).toBe('accept');
    expect(stageOf('accepted')).toBe('dispatch'); // 受理 and 派遣 are separate steps (DOMAIN §3.4)
    expect(stageOf('dispatched')).toBe('sign');
    expect(stageOf('handling')).toBe('handle');
    expect(stageOf('handled')).toBe('verify');
    for (const status of ['closed', 'rejected', 'merged', 'suspended'] as const) expect(stageOf(status)).toBeNull();
    expect(STAGES).toEqual(['accept', 'dispatch', 'sign', 'handle', 'verify']);
  });

  it('lists open statuses as everything but closed, rejected and merged', () => {
    expect([...OPEN_STATUSES].sort()).toEqual(
      ['reported', 'accepted', 'dispatched', 'handling', 'handled', 'suspended'].sort(),
    );
  });

  it('WorkflowError carries a code and a field', () => {
    const error = new WorkflowError('invalid_action', 'reason is required', 'reason');
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('invalid_action');
    expect(error.field).toBe('reason');
    expect(error.message).toBe('reason is required');
  });
});

describe('createReport (上报)', () => {
  it('creates a reported event at township level owned by the centre', () => {
    const result = createReport(
      { reporterId: 'g1', centreUnitCode: 'C1', resolvedOnSite: false, note: 'blocked drain', attachmentIds: ['p1'] },
      reporter,
      NOW,
    );
    expect(result.event).toMatchObject({
      status: 'reported',
      level: 'township',
      ownerUnitCode: 'C1',
      centreUnitCode: 'C1',
      handlerUnitCode: null,
      involvedUnitCodes: ['C1'],
      version: 1,
      warning: 'none',
      reporterId: 'g1',
      resolvedOnSite: false,
      rating: null,
    });
    expect(result.timeline).toEqual({
      type: 'report',
      fromStatus: null,
      toStatus: 'reported',
      fromLevel: null,
      toLevel: 'township',
      actorId: 'g1',
      actorRole: 'grid_worker',
      unitCode: 'G1',
      note: 'blocked drain',
      data: { centreUnitCode: 'C1', resolvedOnSite: false },
      attachmentIds: ['p1'],
      at: NOW.toISOString(),
    });
    expect(result.effects).toEqual([
      { kind: 'notify', unitCode: 'C1', topic: 'report' },
      { kind: 'stage', stage: 'accept' },
    ]);
  });

  it('a self-resolved report (自行处置) goes straight to handled at village level for the township to verify', () => {
    const result = report({ resolvedOnSite: true });
    expect(result.event).toMatchObject({ status: 'handled', level: 'village', ownerUnitCode: 'C1', resolvedOnSite: true });
    expect(result.timeline).toMatchObject({ toStatus: 'handled', toLevel: 'village' });
    expect(result.effects).toContainEqual({ kind: 'stage', stage: 'verify' });
  });

  it('requires a centre unit', () => {
    expectError(() => report({ centreUnitCode: '' }), 'invalid_action', 'centreUnitCode');
  });
});

describe('accept (受理)', () => {
  it('moves reported to accepted, keeps the centre as owner, ends the 受理 clock and starts the 派遣 clock', () => {
    const before = reported();
    const { event, timeline, effects } = run(before, { type: 'accept', note: 'valid' });
    expect(event).toMatchObject({ status: 'accepted', ownerUnitCode: 'C1', version: 2 });
    expect(timeline).toMatchObject({ type: 'accept', fromStatus: 'reported', toStatus: 'accepted', note: 'valid' });
    expect(effects).toEqual([{ kind: 'stage', stage: 'dispatch' }]);
  });

  it('is not allowed twice', () => {
    expectError(() => run(accepted(), { type: 'accept' }), 'action_not_allowed');
  });

  it('needs a centre role and the centre unit', () => {
    expectError(() => run(reported(), { type: 'accept' }, reporter), 'role_not_allowed');
    expectError(() => run(reported(), { type: 'accept' }, admin), 'role_not_allowed');
    expectError(() => run(reported(), { type: 'accept' }, foreignDispatcher), 'unit_not_allowed');
    expectError(() => run(reported(), { type: 'accept' }, countyOperator), 'unit_not_allowed');
  });
});

describe('reject (作废/不予受理) and merge (合并)', () => {
  it('rejects from reported or accepted with a reason', () => {
    for (const before of [reported(), accepted()]) {
      const { event, timeline } = run(before, { type: 'reject', reason: 'test report' });
      expect(event.status).toBe('rejected');
      expect(timeline).toMatchObject({ note: 'test report', data: { reason: 'test report' } });
    }
  });

  it('requires a reason to reject', () => {
    expectError(() => run(reported(), { type: 'reject' }), 'invalid_action', 'reason');
    expectError(() => run(reported(), { type: 'reject', reason: '   ' }), 'invalid_action', 'reason');
  });

  it('merges into a target event', () => {
    const { event, timeline, effects } = run(accepted(), { type: 'merge', targetEventId: 'e-master' });
    expect(event).toMatchObject({ status: 'merged', mergedIntoId: 'e-master' });
    expect(timeline.data).toEqual({ targetEventId: 'e-master' });
    expect(effects).toEqual([{ kind: 'stage', stage: null }]);
  });

  it('requires a target to merge and refuses once dispatched', () => {
    expectError(() => run(reported(), { type: 'merge' }), 'invalid_action', 'targetEventId');
    expectError(() => run(dispatched(), { type: 'merge', targetEventId: 'e-master' }), 'action_not_allowed');
  });

  it('allows nothing after rejection or merge', () => {
    const rejected = act(reported(), { type: 'reject', reason: 'duplicate' });
    const merged = act(reported(), { type: 'merge', targetEventId: 'e-master' });
    for (const actor of [dispatcher, countyOperator, leader, handler, reporter, system]) {
      expect(allowedActions(rejected, actor)).toEqual([]);
      expect(allowedActions(merged, actor)).toEqual([]);
    }
  });
});

describe('authorize', () => {
  it('refuses state, role and unit exactly as transition does, and ignores the payload', () => {
    expectError(() => authorize(reported(), 'sign', handler), 'action_not_allowed');
    expectError(() => authorize(accepted(), 'dispatch', handler), 'role_not_allowed');
    expectError(() => authorize(accepted(), 'dispatch', foreignDispatcher), 'unit_not_allowed');
    // no unitCode: transition refuses the payload, authorize lets it through to the application's reference checks
    expect(() => authorize(accepted(), 'dispatch', dispatcher)).not.toThrow();
    expectError(() => run(accepted(), { type: 'dispatch' }), 'invalid_action', 'unitCode');
  });
});

describe('dispatch (派遣)', () => {
  it('hands the event to a lead unit with supporting units (协办)', () => {
    const { event, timeline, effects } = run(accepted(), { type: 'dispatch', unitCode: 'H1', supportUnitCodes: ['H2'] });
    expect(event).toMatchObject({
      status: 'dispatched',
      ownerUnitCode: 'H1',
      handlerUnitCode: 'H1',
      supportUnitCodes: ['H2'],
      involvedUnitCodes: ['C1', 'H1', 'H2'],
      assigneeId: null,
    });
    expect(timeline.data).toEqual({ unitCode: 'H1', supportUnitCodes: ['H2'] });
    expect(effects).toEqual([
      { kind: 'notify', unitCode: 'H1', topic: 'dispatch' },
      { kind: 'notify', unitCode: 'H2', topic: 'dispatch' },
      { kind: 'stage', stage: 'sign' },
    ]);
  });

  it('does not duplicate involved units on re-dispatch (重派)', () => {
    const returned = act(dispatched(), { type: 'return', reason: 'not ours' }, handler);
    const again = act(returned, { type: 'dispatch', unitCode: 'H2' });
    expect(again.involvedUnitCodes).toEqual(['C1', 'H1', 'H2']);
    expect(again.supportUnitCodes).toEqual([]);
  });

  it('validates the target unit and the supporting units', () => {
    expectError(() => run(accepted(), { type: 'dispatch' }), 'invalid_action', 'unitCode');
    expectError(() => run(accepted(), { type: 'dispatch', unitCode: 'C1' }), 'invalid_action', 'unitCode');
    expectError(
      () => run(accepted(), { type: 'dispatch', unitCode: 'H1', supportUnitCodes: ['H1'] }),
      'invalid_action',
      'supportUnitCodes',
    );
    expectError(
      () => run(accepted(), { type: 'dispatch', unitCode: 'H1', supportUnitCodes: [''] }),
      'invalid_action',
      'supportUnitCodes',
    );
  });

  it('is only for accepted events', () => {
    expectError(() => run(reported(), { type: 'dispatch', unitCode: 'H1' }), 'action_not_allowed');
  });
});

describe('sign (签收)', () => {
  it('starts handling and records the assignee', () => {
    const { event, effects } = run(dispatched(), { type: 'sign' }, handler);
    expect(event).toMatchObject({ status: 'handling', assigneeId: 'h1', ownerUnitCode: 'H1' });
    expect(effects).toContainEqual({ kind: 'stage', stage: 'handle' });
  });

  it('is only for the lead handler unit', () => {
    expectError(() => run(dispatched(), { type: 'sign' }, otherHandler), 'unit_not_allowed');
    expectError(() => run(dispatched(), { type: 'sign' }, dispatcher), 'role_not_allowed');
    expectError(() => run(handling(), { type: 'sign' }, handler), 'action_not_allowed');
  });
});

describe('return (退回)', () => {
  it('sends a dispatched or handling event back to the centre', () => {
    for (const before of [dispatched(), handling()]) {
      const { event, effects, timeline } = run(before, { type: 'return', reason: 'not our remit' }, handler);
      expect(event).toMatchObject({
        status: 'accepted',
        ownerUnitCode: 'C1',
        handlerUnitCode: null,
        supportUnitCodes: [],
        assigneeId: null,
        returnCount: 1,
      });
      expect(timeline.data).toEqual({ reason: 'not our remit' });
      expect(effects).toEqual([
        { kind: 'notify', unitCode: 'C1', topic: 'return' },
        { kind: 'stage', stage: 'dispatch' },
      ]);
    }
  });

  it('requires a reason', () => {
    expectError(() => run(handling(), { type: 'return' }, handler), 'invalid_action', 'reason');
  });
});

describe('feedback (反馈)', () => {
  it('moves handling to handled and gives the event back to the centre', () => {
    const { event, timeline, effects } = run(
      handling(),
      { type: 'feedback', note: 'fixed', attachmentIds: ['after-1'] },
      handler,
    );
    expect(event).toMatchObject({ status: 'handled', ownerUnitCode: 'C1' });
    expect(timeline).toMatchObject({ note: 'fixed', attachmentIds: ['after-1'] });
    expect(effects).toEqual([
      { kind: 'notify', unitCode: 'C1', topic: 'feedback' },
      { kind: 'stage', stage: 'verify' },
    ]);
  });

  it('requires the result note', () => {
    expectError(() => run(handling(), { type: 'feedback' }, handler), 'invalid_action', 'note');
  });

  it('validates attachment ids', () => {
    const bad = { type: 'feedback', note: 'x', attachmentIds: [42] } as unknown as WorkflowAction;
    expectError(() => run(handling(), bad, handler), 'invalid_action', 'attachmentIds');
  });
});

describe('verify (核查)', () => {
  it('closes on pass', () => {
    const { event, effects } = run(handled(), { type: 'verify', pass: true });
    expect(event).toMatchObject({ status: 'closed', closedAt: NOW.toISOString(), ownerUnitCode: 'C1' });
    expect(effects).toEqual([{ kind: 'stage', stage: null }]);
  });

  it('sends the event back to the handler for rework (返工) on fail', () => {
    const { event, effects } = run(handled(), { type: 'verify', pass: false, note: 'still blocked' });
    expect(event).toMatchObject({ status: 'handling', ownerUnitCode: 'H1', reworkCount: 1, assigneeId: 'h1' });
    expect(effects).toEqual([
      { kind: 'notify', unitCode: 'H1', topic: 'verify' },
      { kind: 'stage', stage: 'handle' },
    ]);
  });

  it('a failed self-resolved report goes to accepted at the centre for dispatch', () => {
    const { event, timeline } = run(selfResolved(), { type: 'verify', pass: false });
    expect(event).toMatchObject({ status: 'accepted', ownerUnitCode: 'C1', handlerUnitCode: null, level: 'township' });
    expect(timeline).toMatchObject({ fromLevel: 'village', toLevel: 'township' });
    expect(act(event, { type: 'dispatch', unitCode: 'H1' }).status).toBe('dispatched');
  });

  it('a passed self-resolved report closes at village level', () => {
    expect(act(selfResolved(), { type: 'verify', pass: true })).toMatchObject({ status: 'closed', level: 'village' });
  });

  it('requires a boolean pass', () => {
    expectError(() => run(handled(), { type: 'verify' }), 'invalid_action', 'pass');
    expectError(
      () => run(handled(), { type: 'verify', pass: 'yes' } as unknown as WorkflowAction),
      'invalid_action',
      'pass',
    );
  });

  it('is for the centre only', () => {
    expectError(() => run(handled(), { type: 'verify', pass: true }, handler), 'role_not_allowed');
  });
});

describe('escalate (上报/提级)', () => {
  it('moves the event up one level to the next centre', () => {
    const { event, timeline, effects } = run(accepted(), { type: 'escalate', unitCode: 'C2', reason: 'cross-department' });
    expect(event).toMatchObject({
      status: 'accepted',
      level: 'county',
      ownerUnitCode: 'C2',
      centreUnitCode: 'C2',
      involvedUnitCodes: ['C1', 'C2'],
    });
    expect(timeline).toMatchObject({
      fromLevel: 'township',
      toLevel: 'county',
      note: 'cross-department',
      data: { unitCode: 'C2', reason: 'cross-department' },
    });
    expect(effects).toEqual([
      { kind: 'notify', unitCode: 'C2', topic: 'escalate' },
      { kind: 'stage', stage: 'accept' },
    ]);
    // The county centre now acts on it; the township no longer can.
    expect(allowedActions(event, countyOperator)).toContain('dispatch');
    expect(allowedActions(event, dispatcher)).toEqual([]);
  });

  it('clears the handler when escalating a dispatched event, and the system may escalate', () => {
    const { event, effects } = run(dispatched(), { type: 'escalate', unitCode: 'C2', reason: 'red card' }, system);
    expect(event).toMatchObject({ handlerUnitCode: null, supportUnitCodes: [], assigneeId: null, ownerUnitCode: 'C2' });
    expect(effects).toContainEqual({ kind: 'notify', unitCode: 'H1', topic: 'escalate' });
  });

  it('cannot go above the county', () => {
    const atCounty = act(accepted(), { type: 'escalate', unitCode: 'C2', reason: 'x' });
    expectError(
      () => run(atCounty, { type: 'escalate', unitCode: 'C3', reason: 'x' }, countyOperator),
      'action_not_allowed',
    );
  });

  it('requires a reason and a new centre unit', () => {
    expectError(() => run(accepted(), { type: 'escalate', unitCode: 'C2' }), 'invalid_action', 'reason');
    expectError(() => run(accepted(), { type: 'escalate', reason: 'x' }), 'invalid_action', 'unitCode');
    expectError(() => run(accepted(), { type: 'escalate', reason: 'x', unitCode: 'C1' }), 'invalid_action', 'unitCode');
  });

  it('checks the actor against the old centre', () => {
    expectError(() => run(accepted(), { type: 'escalate', unitCode: 'C2', reason: 'x' }, countyOperator), 'unit_not_allowed');
    expectError(() => run(handling(), { type: 'escalate', unitCode: 'C2', reason: 'x' }), 'action_not_allowed');
  });
});

describe('suspend (挂起) and resume (恢复)', () => {
  it('suspends and resumes to the previous status', () => {
    const suspended = run(handling(), { type: 'suspend', reason: 'awaiting court ruling' });
    expect(suspended.event).toMatchObject({ status: 'suspended', suspendedFromStatus: 'handling' });
    expect(suspended.effects).toContainEqual({ kind: 'stage', stage: null });
    expect(suspended.effects).toContainEqual({ kind: 'notify', unitCode: 'H1', topic: 'suspend' });

    const resumed = run(suspended.event, { type: 'resume' });
    expect(resumed.event).toMatchObject({ status: 'handling', suspendedFromStatus: null, version: 6 });
    expect(resumed.effects).toContainEqual({ kind: 'stage', stage: 'handle' });
  });

  it('resumes a suspended dispatched event to dispatched', () => {
    const suspended = act(dispatched(), { type: 'suspend', reason: 'x' });
    const { event, effects } = run(suspended, { type: 'resume' });
    expect(event.status).toBe('dispatched');
    expect(effects).toContainEqual({ kind: 'stage', stage: 'sign' });
  });

  it('requires a reason, and only suspends accepted, dispatched or handling events', () => {
    expectError(() => run(accepted(), { type: 'suspend' }), 'invalid_action', 'reason');
    expectError(() => run(reported(), { type: 'suspend', reason: 'x' }), 'action_not_allowed');
    expectError(() => run(handled(), { type: 'suspend', reason: 'x' }), 'action_not_allowed');
    expectError(() => run(accepted(), { type: 'resume' }), 'action_not_allowed');
  });

  it('only the centre suspends', () => {
    expectError(() => run(handling(), { type: 'suspend', reason: 'x' }, handler), 'role_not_allowed');
  });
});

describe('request_extension (延期申请) and approve_extension', () => {
  it('records a pending request and tells the centre', () => {
    const { event, timeline, effects } = run(
      handling(),
      { type: 'request_extension', until: FUTURE, reason: 'parts on order' },
      handler,
    );
    expect(event).toMatchObject({ status: 'handling', extensionRequestedUntil: FUTURE, extendedUntil: null });
    expect(timeline.data).toEqual({ until: FUTURE, reason: 'parts on order' });
    expect(effects).toEqual([{ kind: 'notify', unitCode: 'C1', topic: 'request_extension' }]);
  });

  it('normalises the requested time to UTC ISO', () => {
    const event = act(handling(), { type: 'request_extension', until: '2025-03-20T16:00:00+08:00', reason: 'x' }, handler);
    expect(event.extensionRequestedUntil).toBe('2025-03-20T08:00:00.000Z');
  });

  it('validates until and reason', () => {
    const request = (action: Partial<WorkflowAction>) =>
      run(handling(), { type: 'request_extension', reason: 'x', until: FUTURE, ...action }, handler);
    expectError(() => request({ until: undefined }), 'invalid_action', 'until');
    expectError(() => request({ until: 'next week' }), 'invalid_action', 'until');
    expectError(() => request({ until: '2025-13-45T00:00:00Z' }), 'invalid_action', 'until');
    expectError(() => request({ until: PAST }), 'invalid_action', 'until');
    expectError(() => request({ until: NOW.toISOString() }), 'invalid_action', 'until');
    expectError(() => request({ reason: undefined }), 'invalid_action', 'reason');
  });

  it('allows one pending request at a time', () => {
    expectError(
      () => run(withPendingExtension(), { type: 'request_extension', until: FUTURE, reason: 'again' }, handler),
      'action_not_allowed',
    );
  });

  it('approval sets the new due time and restarts the handle stage', () => {
    const flagged = act(withPendingExtension(), { type: 'warn', warning: 'yellow' }, system);
    const { event, effects, timeline } = run(flagged, { type: 'approve_extension' });
    expect(event).toMatchObject({ extendedUntil: FUTURE, extensionRequestedUntil: null, status: 'handling', warning: 'none' });
    expect(timeline.data).toEqual({ pass: true, until: FUTURE });
    expect(effects).toEqual([
      { kind: 'notify', unitCode: 'H1', topic: 'approve_extension' },
      { kind: 'stage', stage: 'handle' },
    ]);
  });

  it('denial clears the request without a new due time', () => {
    const { event, effects } = run(withPendingExtension(), { type: 'approve_extension', pass: false, reason: 'no' });
    expect(event).toMatchObject({ extendedUntil: null, extensionRequestedUntil: null });
    expect(effects.some((effect) => effect.kind === 'stage')).toBe(false);
  });

  it('needs a pending request, the centre, and a boolean pass', () => {
    expectError(() => run(handling(), { type: 'approve_extension' }), 'action_not_allowed');
    expectError(() => run(withPendingExtension(), { type: 'approve_extension' }, handler), 'role_not_allowed');
    expectError(
      () => run(withPendingExtension(), { type: 'approve_extension', pass: 1 } as unknown as WorkflowAction),
      'invalid_action',
      'pass',
    );
  });

  it('drops a pending request when the event is returned', () => {
    const returned = act(withPendingExtension(), { type: 'return', reason: 'not ours' }, handler);
    expect(returned.extensionRequestedUntil).toBeNull();
  });
});

describe('urge (催办) and supervise (督办)', () => {
  it('urge counts and notifies the owner', () => {
    for (const actor of [dispatcher, countyOperator, leader, system]) {
      const { event, effects, timeline } = run(dispatched(), { type: 'urge' }, actor);
      expect(event).toMatchObject({ urgeCount: 1, status: 'dispatched' });
      expect(timeline).toMatchObject({ fromStatus: 'dispatched', toStatus: 'dispatched' });
      expect(effects).toEqual([{ kind: 'notify', unitCode: 'H1', topic: 'urge' }]);
    }
  });

  it('urge is refused for other roles, other township centres and closed events', () => {
    expectError(() => run(dispatched(), { type: 'urge' }, handler), 'role_not_allowed');
    expectError(() => run(dispatched(), { type: 'urge' }, reporter), 'role_not_allowed');
    expectError(() => run(dispatched(), { type: 'urge' }, foreignDispatcher), 'unit_not_allowed');
    expectError(() => run(closed(), { type: 'urge' }), 'action_not_allowed');
  });

  it('supervise flags the event and tells the owner and the centre', () => {
    const { event, effects } = run(handling(), { type: 'supervise', note: '限期办结' }, leader);
    expect(event.supervised).toBe(true);
    expect(effects).toEqual([
      { kind: 'notify', unitCode: 'H1', topic: 'supervise' },
      { kind: 'notify', unitCode: 'C1', topic: 'supervise' },
    ]);
  });

  it('supervise is for county leaders and operators only', () => {
    expect(act(accepted(), { type: 'supervise' }, countyOperator).supervised).toBe(true);
    expectError(() => run(accepted(), { type: 'supervise' }, dispatcher), 'role_not_allowed');
    expectError(() => run(closed(), { type: 'supervise' }, leader), 'action_not_allowed');
  });
});

describe('rate (满意度)', () => {
  it('a satisfied rating keeps the event closed', () => {
    const { event, timeline, effects } = run(closed(), { type: 'rate', score: 5 }, reporter);
    expect(event).toMatchObject({ status: 'closed', rating: 5 });
    expect(timeline.data).toEqual({ score: 5 });
    expect(effects).toEqual([]);
  });

  it('a dissatisfied rating reopens the event as 重办', () => {
    const { event, effects } = run(closed(), { type: 'rate', score: 2 });
    expect(event).toMatchObject({
      status: 'accepted',
      ownerUnitCode: 'C1',
      handlerUnitCode: null,
      assigneeId: null,
      closedAt: null,
      rating: 2,
    });
    expect(effects).toContainEqual({ kind: 'stage', stage: 'dispatch' });
    // After the redo it can be closed and rated again.
    const redone = act(act(event, { type: 'dispatch', unitCode: 'H2' }), { type: 'sign' }, otherHandler);
    const reclosed = act(act(redone, { type: 'feedback', note: 'redone' }, otherHandler), { type: 'verify', pass: true });
    expect(reclosed.rating).toBeNull();
    expect(act(reclosed, { type: 'rate', score: 4 }, reporter).rating).toBe(4);
  });

  it('only the reporter or the centre may rate, once, with an integer 1–5', () => {
    expectError(() => run(closed(), { type: 'rate', score: 4 }, handler), 'role_not_allowed');
    expectError(() => run(closed(), { type: 'rate', score: 4 }, { ...reporter, id: 'g2' }), 'role_not_allowed');
    expectError(() => run(closed(), { type: 'rate', score: 4 }, foreignDispatcher), 'unit_not_allowed');
    for (const score of [undefined, 0, 6, 2.5, Number.NaN]) {
      expectError(() => run(closed(), { type: 'rate', score }), 'invalid_action', 'score');
    }
    const rated = act(closed(), { type: 'rate', score: 3 }, reporter);
    expectError(() => run(rated, { type: 'rate', score: 3 }, reporter), 'action_not_allowed');
    expectError(() => run(handled(), { type: 'rate', score: 3 }, reporter), 'action_not_allowed');
  });

  it('an anonymous actor is never the reporter of an anonymous report', () => {
    let anonymous = act(report({ reporterId: null }).event, { type: 'accept' });
    anonymous = act(anonymous, { type: 'dispatch', unitCode: 'H1' });
    anonymous = act(anonymous, { type: 'sign' }, handler);
    anonymous = act(anonymous, { type: 'feedback', note: 'ok' }, handler);
    anonymous = act(anonymous, { type: 'verify', pass: true });
    expectError(() => run(anonymous, { type: 'rate', score: 5 }, { ...reporter, id: null }), 'role_not_allowed');
  });
});

describe('warn (黄牌/红牌)', () => {
  it('sets the warning without changing the status', () => {
    const { event, effects, timeline } = run(dispatched(), { type: 'warn', warning: 'red' }, system);
    expect(event).toMatchObject({ warning: 'red', status: 'dispatched' });
    expect(timeline.data).toEqual({ warning: 'red' });
    expect(effects).toEqual([{ kind: 'notify', unitCode: 'H1', topic: 'warn' }]);
  });

  it('a status change clears the warning', () => {
    const red = act(dispatched(), { type: 'warn', warning: 'red' }, system);
    expect(act(red, { type: 'sign' }, handler).warning).toBe('none');
    expect(act(red, { type: 'urge' }).warning).toBe('red');
  });

  it('is for the system only, on open events, with a new valid warning', () => {
    expectError(() => run(dispatched(), { type: 'warn', warning: 'red' }, dispatcher), 'role_not_allowed');
    expectError(() => run(closed(), { type: 'warn', warning: 'red' }, system), 'action_not_allowed');
    expectError(() => run(dispatched(), { type: 'warn', warning: 'none' }, system), 'invalid_action', 'warning');
    expectError(() => run(dispatched(), { type: 'warn' }, system), 'invalid_action', 'warning');
    expectError(
      () => run(dispatched(), { type: 'warn', warning: 'blue' } as unknown as WorkflowAction, system),
      'invalid_action',
      'warning',
    );
  });
});

describe('transition in general', () => {
  it('checks state, then role, then unit, then payload', () => {
    // wrong state and wrong role → state wins
    expectError(() => run(closed(), { type: 'reject' }, reporter), 'action_not_allowed');
    // wrong role and missing payload → role wins
    expectError(() => run(reported(), { type: 'reject' }, handler), 'role_not_allowed');
    // wrong unit and missing payload → unit wins
    expectError(() => run(reported(), { type: 'reject' }, foreignDispatcher), 'unit_not_allowed');
  });

  it('refuses an unknown action type', () => {
    expectError(() => run(reported(), { type: 'teleport' } as unknown as WorkflowAction), 'invalid_action', 'type');
  });

  it('writes one timeline row from the actor and never mutates its inputs', () => {
    const before = deepFreeze(dispatched());
    const action = deepFreeze<WorkflowAction>({ type: 'return', reason: 'wrong unit', attachmentIds: ['a1'] });
    const actor = deepFreeze({ ...handler });
    const { event, timeline } = transition(before, action, actor, NOW);
    expect(before.status).toBe('dispatched');
    expect(event.version).toBe(before.version + 1);
    expect(event.involvedUnitCodes).not.toBe(before.involvedUnitCodes);
    expect(timeline).toEqual({
      type: 'return',
      fromStatus: 'dispatched',
      toStatus: 'accepted',
      fromLevel: 'township',
      toLevel: 'township',
      actorId: 'h1',
      actorRole: 'handler',
      unitCode: 'H1',
      note: 'wrong unit',
      data: { reason: 'wrong unit' },
      attachmentIds: ['a1'],
      at: NOW.toISOString(),
    });
    expect(timeline.attachmentIds).not.toBe(action.attachmentIds);
  });

  it('prefers the note over the reason for the timeline note', () => {
    const { timeline } = run(reported(), { type: 'reject', reason: 'test data', note: '测试数据' });
    expect(timeline.note).toBe('测试数据');
    expect(timeline.data).toEqual({ reason: 'test data' });
  });

  it('allowedActions lists what each actor can do', () => {
    expect(allowedActions(reported(), dispatcher).sort()).toEqual(
      ['accept', 'escalate', 'merge', 'reject', 'urge'].sort(),
    );
    expect(allowedActions(handling(), handler).sort()).toEqual(['feedback', 'request_extension', 'return'].sort());
    expect(allowedActions(handling(), system).sort()).toEqual(['supervise', 'urge', 'warn'].sort());
    expect(allowedActions(closed(), reporter)).toEqual(['rate']);
    expect(allowedActions(handling(), admin)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random action sequences
// ---------------------------------------------------------------------------------------------

const UNITS = ['C1', 'C2', 'H1', 'H2'] as const;
const CANONICAL_ACTORS: readonly WorkflowActor[] = [
  { id: 'u1', role: 'township_dispatcher', unitCode: 'C1' },
  { id: 'u2', role: 'county_operator', unitCode: 'C2' },
  { id: 'u3', role: 'handler', unitCode: 'H1' },
  { id: 'u4', role: 'handler', unitCode: 'H2' },
  { id: 'u5', role: 'grid_worker', unitCode: null }, // the reporter
  { id: 'u6', role: 'county_leader', unitCode: 'C2' },
  { id: null, role: 'system', unitCode: null },
];

const randomActorArb: fc.Arbitrary<WorkflowActor> = fc.record({
  id: fc.constantFrom<string | null>('u1', 'u3', 'u5', null),
  role: fc.constantFrom(...ROLES, 'system' as const),
  unitCode: fc.constantFrom<string | null>(...UNITS, null),
});
const actorArb = fc.oneof(
  { arbitrary: fc.constantFrom(...CANONICAL_ACTORS), weight: 3 },
  { arbitrary: randomActorArb, weight: 1 },
);

/** Any payload, most of them wrong. */
const randomActionArb: fc.Arbitrary<WorkflowAction> = fc
  .record({
    type: fc.constantFrom(...ACTION_TYPES),
    unitCode: fc.constantFrom(undefined, '', ...UNITS),
    supportUnitCodes: fc.constantFrom(undefined, [], ['H2'], ['H1'], ['H2', 'H2'], ['']),
    note: fc.constantFrom(undefined, '', 'note'),
    reason: fc.constantFrom(undefined, '', 'reason'),
    pass: fc.constantFrom<unknown>(undefined, true, false, 'yes'),
    score: fc.constantFrom(undefined, 0, 1, 2, 3, 5, 6, 2.5),
    targetEventId: fc.constantFrom(undefined, '', 'e-2'),
    until: fc.constantFrom(undefined, 'soon', PAST, FUTURE),
    warning: fc.constantFrom<unknown>(undefined, 'none', 'yellow', 'red', 'blue'),
  })
  .map((action) => action as unknown as WorkflowAction);

/** A payload that passes validation for `type` on `event`; `pick` varies the choice. */
function validAction(type: ActionType, event: WorkflowEvent, pick: number): WorkflowAction {
  switch (type) {
    case 'reject':
    case 'return':
    case 'suspend':
      return { type, reason: 'reason' };
    case 'merge':
      return { type, targetEventId: 'e-master' };
    case 'dispatch': {
      // a valid target is never the centre itself (a random escalation may have made H1 or H2 the centre)
      const units = ['H1', 'H2', 'H3'].filter((u) => u !== event.centreUnitCode);
      const target = units[pick % units.length]!;
      const support = units.find((u) => u !== target)!;
      return { type, unitCode: target, supportUnitCodes: pick % 3 === 0 ? [support] : [] };
    }
    case 'feedback':
      return { type, note: 'done' };
    case 'verify':
      return { type, pass: pick % 3 !== 0 };
    case 'escalate':
      return { type, reason: 'beyond our powers', unitCode: event.centreUnitCode === 'C1' ? 'C2' : 'C1' };
    case 'request_extension':
      return { type, until: FUTURE, reason: 'reason' };
    case 'approve_extension':
      return pick % 3 === 0 ? { type, pass: false } : { type };
    case 'rate':
      return { type, score: 1 + (pick % 5) };
    case 'warn':
      return { type, warning: WARNINGS.filter((w) => w !== event.warning)[pick % 2] };
    default:
      return { type };
  }
}

const FLAG_TYPES: readonly ActionType[] = ['urge', 'supervise', 'warn'];

interface Step {
  mode: 'guided' | 'valid' | 'random';
  actor: WorkflowActor;
  type: ActionType;
  /** Varies payloads and, for guided steps, which actor and which allowed action. */
  pick: number;
  random: WorkflowAction;
}
const stepArb: fc.Arbitrary<Step> = fc.record({
  mode: fc.constantFrom<Step['mode']>('guided', 'guided', 'valid', 'random'),
  actor: actorArb,
  type: fc.constantFrom(...ACTION_TYPES),
  pick: fc.noBias(fc.nat(9_999)),
  random: randomActionArb,
});
interface Walk {
  resolvedOnSite: boolean;
  reporterId: string | null;
  steps: Step[];
}
const walkArb: fc.Arbitrary<Walk> = fc.record({
  resolvedOnSite: fc.boolean(),
  reporterId: fc.constantFrom<string | null>('u5', null),
  steps: fc.array(stepArb, { minLength: 5, maxLength: 30, size: 'max' }),
});

/**
 * The actor and action a step takes on `event`. A guided step picks one of the canonical actors who
 * may act at all, then one of their allowed actions, so that walks reach deep states.
 */
function resolveStep(step: Step, event: WorkflowEvent): { actor: WorkflowActor; action: WorkflowAction } {
  if (step.mode === 'random') return { actor: step.actor, action: step.random };
  if (step.mode === 'guided') {
    // Flags (催办, 督办, 预警) are allowed almost everywhere; mostly skip them so the status moves on.
    const skipFlags = step.pick % 4 !== 0;
    const candidates = CANONICAL_ACTORS.map((actor) => ({
      actor,
      types: allowedActions(event, actor).filter((type) => !(skipFlags && FLAG_TYPES.includes(type))),
    })).filter((candidate) => candidate.types.length > 0);
    if (candidates.length > 0) {
      const { actor, types } = candidates[step.pick % candidates.length];
      const type = types[Math.floor(step.pick / candidates.length) % types.length];
      return { actor, action: validAction(type, event, Math.floor(step.pick / 100)) };
    }
  }
  return { actor: step.actor, action: validAction(step.type, event, step.pick) };
}

interface Visit {
  before: WorkflowEvent;
  snapshot: string;
  step: Step;
  actor: WorkflowActor;
  action: WorkflowAction;
  now: Date;
  outcome: { ok: true; result: TransitionResult } | { ok: false; error: unknown };
}

/** Records a problem when `holds` is false; plain checks keep the hot loop fast (expect is slow). */
type Check = (holds: boolean, problem: () => string) => void;

/** Replays a walk from a fresh report, calling `inspect` for every step; returns the problems found. */
function walk(input: Walk, inspect: (visit: Visit, check: Check) => void): string[] {
  const problems: string[] = [];
  let event = createReport(
    { reporterId: input.reporterId, centreUnitCode: 'C1', resolvedOnSite: input.resolvedOnSite },
    CANONICAL_ACTORS[4],
    NOW,
  ).event;
  input.steps.forEach((step, index) => {
    const now = new Date(NOW.getTime() + index * 60_000);
    const { actor, action } = resolveStep(step, event);
    const snapshot = JSON.stringify(event); // events are plain JSON data
    let outcome: Visit['outcome'];
    try {
      outcome = { ok: true, result: transition(event, action, actor, now) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    const visit = { before: event, snapshot, step, actor, action, now, outcome };
    inspect(visit, (holds, problem) => {
      if (!holds) problems.push(`step ${index} ${action.type} on ${event.status}: ${problem()}`);
    });
    if (outcome.ok) event = outcome.result.event;
  });
  return problems;
}

const RUNS = { numRuns: 100 };
const TERMINAL: readonly EventStatus[] = ['rejected', 'merged'];
const errorCode = (outcome: Visit['outcome']): string =>
  outcome.ok ? 'none' : outcome.error instanceof WorkflowError ? outcome.error.code : String(outcome.error);

describe('workflow properties', () => {
  it('(1) status, level and warning stay in their lists, the owner is never empty, and the shape stays consistent', () => {
    const seen = new Set<EventStatus>();
    fc.assert(
      fc.property(walkArb, (input) => {
        const problems = walk(input, ({ outcome }, check) => {
          if (!outcome.ok) return;
          const e = outcome.result.event;
          seen.add(e.status);
          check(EVENT_STATUSES.includes(e.status), () => `status ${e.status}`);
          check(LEVELS.includes(e.level), () => `level ${e.level}`);
          check(WARNINGS.includes(e.warning), () => `warning ${e.warning}`);
          check(typeof e.ownerUnitCode === 'string' && e.ownerUnitCode.length > 0, () => 'empty owner');
          check(new Set(e.involvedUnitCodes).size === e.involvedUnitCodes.length, () => 'duplicate involved units');
          check(e.involvedUnitCodes.includes(e.centreUnitCode), () => 'centre not involved');
          check(e.handlerUnitCode === null || e.involvedUnitCodes.includes(e.handlerUnitCode), () => 'handler not involved');
          check(
            !(e.status === 'dispatched' || e.status === 'handling') || e.handlerUnitCode !== null,
            () => 'dispatched or handling without a handler unit',
          );
          check((e.status === 'suspended') === (e.suspendedFromStatus !== null), () => 'suspendedFromStatus mismatch');
          check(
            e.extensionRequestedUntil === null || e.status === 'handling' || e.status === 'suspended',
            () => `pending extension while ${e.status}`,
          );
          check((e.closedAt !== null) === (e.status === 'closed'), () => 'closedAt mismatch');
        });
        expect(problems).toEqual([]);
      }),
      RUNS,
    );
    // The walks must actually reach every status, or the properties above prove little.
    expect([...seen].sort()).toEqual([...EVENT_STATUSES].sort());
  });

  it('(2) success: one matching timeline row and version + 1; failure: WorkflowError and the input untouched', () => {
    fc.assert(
      fc.property(walkArb, (input) => {
        const problems = walk(input, ({ before, snapshot, action, now, outcome }, check) => {
          check(JSON.stringify(before) === snapshot, () => 'the input event was mutated');
          if (!outcome.ok) {
            check(outcome.error instanceof WorkflowError, () => `threw ${String(outcome.error)}`);
            return;
          }
          const { event, timeline, effects } = outcome.result;
          check(timeline !== null && typeof timeline === 'object' && !Array.isArray(timeline), () => 'not one row');
          check(timeline.type === action.type, () => `timeline type ${timeline.type}`);
          check(timeline.fromStatus === before.status, () => `fromStatus ${timeline.fromStatus}`);
          check(timeline.toStatus === event.status, () => `toStatus ${timeline.toStatus} vs ${event.status}`);
          check(timeline.fromLevel === before.level && timeline.toLevel === event.level, () => 'levels mismatch');
          check(timeline.at === now.toISOString(), () => `at ${timeline.at}`);
          check(event.version === before.version + 1, () => `version ${before.version} -> ${event.version}`);
          if (event.status !== before.status) {
            const stages = effects.filter((effect) => effect.kind === 'stage');
            check(
              // an escalation starts the next level's 受理 clock; otherwise the new status's stage
              JSON.stringify(stages) === JSON.stringify([{ kind: 'stage', stage: action.type === 'escalate' ? 'accept' : stageOf(event.status) }]),
              () => `stage effects ${JSON.stringify(stages)}`,
            );
            check(action.type === 'warn' || event.warning === 'none', () => 'warning kept across a status change');
          }
        });
        expect(problems).toEqual([]);
      }),
      RUNS,
    );
  });

  it('(3) rejected and merged are final; closed only changes by rate, and only a dissatisfied rate reopens it', () => {
    let closedSeen = 0;
    let reopened = 0;
    fc.assert(
      fc.property(walkArb, (input) => {
        const problems = walk(input, ({ before, actor, action, outcome }, check) => {
          const everyone = [actor, ...CANONICAL_ACTORS];
          if (TERMINAL.includes(before.status)) {
            check(errorCode(outcome) === 'action_not_allowed', () => `outcome ${errorCode(outcome)}`);
            for (const someone of everyone) {
              check(allowedActions(before, someone).length === 0, () => `${someone.role} may still act`);
            }
          }
          if (before.status !== 'closed') return;
          closedSeen++;
          for (const someone of everyone) {
            const others = allowedActions(before, someone).filter((type) => type !== 'rate');
            check(others.length === 0, () => `${someone.role} may ${others.join(', ')} a closed event`);
          }
          if (!outcome.ok) return;
          check(action.type === 'rate', () => 'changed a closed event');
          const score = action.score ?? Number.NaN;
          if (outcome.result.event.status !== 'closed') {
            reopened++;
            check(score <= 2 && outcome.result.event.status === 'accepted', () => `reopened by score ${score}`);
          } else {
            check(score > 2, () => `score ${score} left it closed`);
          }
        });
        expect(problems).toEqual([]);
      }),
      RUNS,
    );
    expect(closedSeen).toBeGreaterThan(0);
    expect(reopened).toBeGreaterThan(0);
  });

  it('(4) allowedActions contains a type iff transition with a valid payload accepts it', () => {
    let allowedSeen = 0;
    fc.assert(
      fc.property(walkArb, (input) => {
        const problems = walk(input, ({ before, actor, step, now }, check) => {
          for (const someone of [actor, CANONICAL_ACTORS[step.pick % CANONICAL_ACTORS.length]]) {
            const allowed = allowedActions(before, someone);
            allowedSeen += allowed.length;
            for (const type of ACTION_TYPES) {
              let refusal: string | null = null;
              try {
                transition(before, validAction(type, before, step.pick), someone, now);
              } catch (error) {
                refusal = error instanceof WorkflowError ? error.code : `non-workflow error ${String(error)}`;
              }
              const listed = allowed.includes(type);
              check(
                listed === (refusal === null) && refusal !== 'invalid_action',
                () => `${type} by ${JSON.stringify(someone)}: listed ${listed}, refusal ${refusal}`,
              );
            }
          }
        });
        expect(problems).toEqual([]);
      }),
      RUNS,
    );
    expect(allowedSeen).toBeGreaterThan(0);
  });
});

describe('actionGrants', () => {
  /** What a user holds, read from the grants the way a client reads them (the contracts' actionsFor). */
  const held = (event: WorkflowEvent, user: WorkflowActor): ActionType[] => {
    const out = new Set<ActionType>();
    for (const g of actionGrants(event)) {
      if (g.role !== null && g.role !== user.role) continue;
      if (g.unitCode !== null && g.unitCode !== user.unitCode) continue;
      if (g.reporter && (user.id === null || user.id !== event.reporterId)) continue;
      g.actions.forEach((a) => out.add(a));
    }
    return ACTION_TYPES.filter((a) => out.has(a));
  };

  it('give every user exactly their allowedActions, in every state a random walk reaches', () => {
    fc.assert(fc.property(walkArb, fc.array(randomActorArb, { minLength: 3, maxLength: 3 }), (w, extra) => {
      const users = [...CANONICAL_ACTORS, ...extra].filter((a) => a.role !== 'system');
      const problems = walk(w, ({ before }, check) => {
        for (const user of users) {
          const expected = allowedActions(before, user);
          const got = held(before, user);
          check(JSON.stringify(got) === JSON.stringify(expected), () => `${JSON.stringify(user)}: grants ${got} ≠ allowed ${expected}`);
        }
      });
      expect(problems).toEqual([]);
    }), { numRuns: 300 });
  });

  it('name no system-only action', () => {
    const event = createReport({ reporterId: 'u5', centreUnitCode: 'C1', resolvedOnSite: false }, CANONICAL_ACTORS[4], NOW).event;
    expect(actionGrants(event).flatMap((g) => g.actions)).not.toContain('warn');
  });
});
