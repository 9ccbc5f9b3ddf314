import { describe, expect, it } from '@jest/globals';
import { makeCalendar, parseCalendarFile, workingMinutesBetween } from './calendar.js';
import { factsOf, rate, satisfactionOf } from './facts.js';
import { extensionProblem, resumeDue, slaMarks } from './sla.js';
import { nextSlaMark, slaDecisions } from './sla-policy.js';
import type { SlaState } from './sla-policy.js';
import { createReport, deadlineInstant, transition } from './workflow.js';
import type { WorkflowAction, WorkflowActor, WorkflowEvent } from './workflow.js';

const cn2026 = (await import('../../../data/calendar/cn-2026.json', { with: { type: 'json' } })).default;
/** The official 2026 calendar: 国庆节 10-01..10-07 with make-up days Sun 09-20 and Sat 10-10; 中秋节 09-25..09-27. */
const cal = makeCalendar(parseCalendarFile(cn2026).days);
const sh = (s: string): Date => new Date(`${s.replace(' ', 'T')}+08:00`);
const working = (minutes: number) => ({ minutes, basis: 'working' as const });

/** The on-time rule of a stage: ended at or before its due instant. */
const onTime = (due: Date, end: Date) => end.getTime() <= due.getTime();

describe('on-time rules across the 2026 National Day holiday and its make-up days (outcome 2)', () => {
  it('3 working days of 处置 started before the holiday fall due after it, the seven days off not counted', () => {
    // Tue 09-29 10:00: 360 min that day, Wed 09-30 450, 10-01..10-07 off, Thu 10-08 450 → 1260; 90 more on Fri 10-09
    const { dueAt, yellowAt } = slaMarks(cal, working(1350), sh('2026-09-29 10:00'));
    expect(dueAt).toEqual(sh('2026-10-09 10:00'));
    expect(yellowAt).toEqual(sh('2026-10-08 14:30')); // 1080 min: 810 before the holiday + 270 on 10-08
    expect(onTime(dueAt, sh('2026-10-09 10:00'))).toBe(true);
    expect(onTime(dueAt, sh('2026-10-09 10:00:01'))).toBe(false);
    // finished on the first day after the holiday: on time, having used 1230 working minutes of 1350
    expect(workingMinutesBetween(cal, sh('2026-09-29 10:00'), sh('2026-10-08 17:00'))).toBe(1230);
    // a whole holiday week takes no working time at all
    expect(workingMinutesBetween(cal, sh('2026-09-30 17:30'), sh('2026-10-08 08:30'))).toBe(0);
  });

  it('the make-up Saturday 10-10 is a working day: a 2-hour 签收 limit from Friday afternoon falls due on it', () => {
    const { dueAt } = slaMarks(cal, working(120), sh('2026-10-09 16:30'));
    expect(dueAt).toEqual(sh('2026-10-10 09:30'));
    // signed on Monday morning: late (it would have been on time without the make-up day)
    expect(onTime(dueAt, sh('2026-10-12 09:00'))).toBe(false);
    const plain = makeCalendar([]);
    expect(slaMarks(plain, working(120), sh('2026-10-09 16:30')).dueAt).toEqual(sh('2026-10-12 09:30'));
  });

  it('the make-up Sunday 09-20 counts; 中秋节 09-25..09-27 does not', () => {
    expect(slaMarks(cal, working(120), sh('2026-09-19 10:00')).dueAt).toEqual(sh('2026-09-20 10:30'));
    expect(slaMarks(cal, working(60), sh('2026-09-24 17:00')).dueAt).toEqual(sh('2026-09-28 09:00'));
  });

  it('a report on a holiday starts its working clock on the first working day', () => {
    const { dueAt } = slaMarks(cal, working(120), sh('2026-10-03 11:00'));
    expect(dueAt).toEqual(sh('2026-10-08 10:30'));
    expect(onTime(dueAt, sh('2026-10-08 10:30'))).toBe(true);
  });

  it('urgent stages count natural time: the holiday does not stop them', () => {
    const { dueAt } = slaMarks(cal, { minutes: 1440, basis: 'natural' }, sh('2026-09-30 20:00'));
    expect(dueAt).toEqual(sh('2026-10-01 20:00'));
  });

  it('a suspension (挂起) over the holiday gives back exactly the working time that was left', () => {
    const due = sh('2026-09-30 12:00'); // suspended Wed 09-30 10:00 with 120 working minutes left
    const resumed = resumeDue(cal, 'working', sh('2026-09-30 10:00'), due, sh('2026-10-06 15:00'));
    expect(resumed).toEqual(sh('2026-10-08 10:30'));
  });
});

describe('extensions (延期)', () => {
  it('a date-only deadline is 17:30 Asia/Shanghai of that day, not UTC midnight', () => {
    expect(new Date(deadlineInstant('2026-12-10')).toISOString()).toBe('2026-12-10T09:30:00.000Z');
    expect(deadlineInstant('2026-12-10T08:00:00Z')).toBe('2026-12-10T08:00:00Z');
  });

  it('must be asked before the deadline, move it later, and add at most 20 days in all', () => {
    const due = sh('2026-10-09 10:00');
    expect(extensionProblem({ now: sh('2026-10-09 09:00'), dueAt: due, originalDueAt: due, until: sh('2026-10-20 17:30') })).toBeNull();
    expect(extensionProblem({ now: sh('2026-10-09 10:00'), dueAt: due, originalDueAt: due, until: sh('2026-10-20 17:30') }))
      .toContain('before the deadline');
    expect(extensionProblem({ now: sh('2026-10-09 09:00'), dueAt: due, originalDueAt: due, until: sh('2026-10-09 09:30') }))
      .toContain('after the current due time');
    expect(extensionProblem({ now: sh('2026-10-09 09:00'), dueAt: due, originalDueAt: due, until: sh('2026-10-29 10:00') })).toBeNull();
    expect(extensionProblem({ now: sh('2026-10-09 09:00'), dueAt: due, originalDueAt: due, until: sh('2026-10-29 10:01') }))
      .toContain('at most 20 days');
    // a second extension counts against the due time before the first one
    const extended = sh('2026-10-20 17:30');
    expect(extensionProblem({ now: sh('2026-10-15 09:00'), dueAt: extended, originalDueAt: due, until: sh('2026-10-30 17:30') }))
      .toContain('at most 20 days');
    expect(extensionProblem({ now: sh('2026-10-15 09:00'), dueAt: extended, originalDueAt: due, until: sh('2026-10-30 17:30'), maxDays: 30 }))
      .toBeNull();
  });

  it('the workflow takes a date-only until as 17:30 Asia/Shanghai and refuses an impossible date', () => {
    const handling: WorkflowEvent = { ...createReport({ reporterId: 'g', centreUnitCode: 'C', resolvedOnSite: false },
      { id: 'g', role: 'grid_worker', unitCode: 'G' }, sh('2026-10-01 09:00')).event, status: 'handling', handlerUnitCode: 'H',
      ownerUnitCode: 'H' };
    const h: WorkflowActor = { id: 'h', role: 'handler', unitCode: 'H' };
    const r = transition(handling, { type: 'request_extension', until: '2026-12-10', reason: '需要协调' }, h, sh('2026-10-08 09:00'));
    expect(r.event.extensionRequestedUntil).toBe('2026-12-10T09:30:00.000Z');
    expect(() => transition(handling, { type: 'request_extension', until: '2026-02-30', reason: 'x' }, h, sh('2026-01-08 09:00')))
      .toThrow('until must be an ISO date');
  });
});

describe('受理 and 派遣 are separate clocks', () => {
  it('accepting at 1 h 59 min ends the 受理 stage on time and starts the 派遣 stage: no fresh 受理 clock', () => {
    const reportedAt = sh('2026-10-12 09:00');
    const rep = createReport({ reporterId: 'g', centreUnitCode: 'C', resolvedOnSite: false }, { id: 'g', role: 'grid_worker', unitCode: 'G' }, reportedAt);
    const marks = slaMarks(cal, working(120), reportedAt);
    const at = sh('2026-10-12 10:59');
    const accept: WorkflowAction = { type: 'accept' };
    const result = transition(rep.event, accept, { id: 'd', role: 'township_dispatcher', unitCode: 'C' }, at);
    expect(result.effects).toContainEqual({ kind: 'stage', stage: 'dispatch' });
    const facts = factsOf(cal, rep.event, { stage: 'accept', basis: 'working', startedAt: reportedAt, dueAt: marks.dueAt, pausedAt: null },
      accept, result, 'start', at);
    expect(facts.ended).toMatchObject({ stage: 'accept', endedBy: 'accept', unitCode: 'C', onTime: true, grossWorkingMinutes: 119,
      grossLimitMinutes: 120, dueAt: sh('2026-10-12 11:00') });
    expect(facts.acceptedAt).toEqual(at);
    expect(facts.ended?.warning).toBe('none');
  });

  it('accepting after the due time ends the 受理 stage late and red, though no card had been given yet', () => {
    const reportedAt = sh('2026-10-12 09:00');
    const rep = createReport({ reporterId: 'g', centreUnitCode: 'C', resolvedOnSite: false }, { id: 'g', role: 'grid_worker', unitCode: 'G' }, reportedAt);
    const marks = slaMarks(cal, working(120), reportedAt);
    const at = sh('2026-10-12 11:01');
    const accept: WorkflowAction = { type: 'accept' };
    const result = transition(rep.event, accept, { id: 'd', role: 'township_dispatcher', unitCode: 'C' }, at);
    expect(rep.event.warning).toBe('none');
    const facts = factsOf(cal, rep.event, { stage: 'accept', basis: 'working', startedAt: reportedAt, dueAt: marks.dueAt, pausedAt: null },
      accept, result, 'start', at);
    expect(facts.ended).toMatchObject({ stage: 'accept', onTime: false, warning: 'red' });
  });
});

describe('automatic 督办', () => {
  const t0 = new Date('2026-11-23T02:00:00Z');
  const s = (x: number) => new Date(t0.getTime() + x * 1000);
  const handle: SlaState = { status: 'handling', level: 'township', warning: 'red', stage: 'handle', paused: false,
    yellowAt: s(80), dueAt: s(100), escalateAt: s(100), superviseAt: s(400), supervised: false };
  it('a stage red for longer than the rule allows is put under 督办 once', () => {
    expect(nextSlaMark(handle)).toEqual(s(400));
    expect(slaDecisions(handle, s(399))).toEqual([]);
    expect(slaDecisions(handle, s(400))).toEqual([{ kind: 'supervise', note: expect.stringContaining('督办') }]);
    expect(nextSlaMark({ ...handle, supervised: true })).toBeNull();
    expect(slaDecisions({ ...handle, supervised: true }, s(500))).toEqual([]);
  });
});

describe('rates and ratings', () => {
  it('a rate with an empty denominator is null, not 0', () => {
    expect(rate(0, 0)).toBeNull();
    expect(rate(0, 3)).toBe(0);
    expect(rate(3, 4)).toBe(0.75);
  });
  it('maps 1–5 onto 满意 / 基本满意 / 不满意', () => {
    expect([5, 4, 3, 2, 1].map(satisfactionOf)).toEqual(['satisfied', 'satisfied', 'fair', 'dissatisfied', 'dissatisfied']);
  });
});
