import { describe, expect, it } from '@jest/globals';
import type { EventView } from '@contracts/events';
import { actionBody, emptyForm, missing, shanghaiInstant } from './actions';
import { compareRows, emptyFilters, matches, matchesBesidesStatus } from './rules';
import type { Row } from './rules';

let seq = 0;
function event(over: Partial<EventView> = {}): EventView {
  seq++;
  return {
    id: `0190a000-0000-7000-8000-${String(seq).padStart(12, '0')}`, code: `33052320261201${String(seq).padStart(5, '0')}`,
    categoryCode: '0901', categoryName: '暴露垃圾', description: '垃圾堆积', address: '苕秀路', status: 'reported', source: 'grid',
    warning: 'none', gridCode: '330523001002001', villageCode: '330523001002', townshipCode: '330523001',
    location: { lng: 119.68, lat: 30.63 }, stage: 'accept', stageDueAt: '2026-12-01T06:00:00.000Z', stagePausedAt: null,
    remainingMinutes: 60, createdAt: '2026-12-01T01:00:00.000Z', updatedAt: '2026-12-01T01:00:00.000Z',
    ...over,
  } as EventView;
}
const row = (e: EventView): Row => ({ event: e, receivedAt: 0 });

describe('queue order (time left in the current stage)', () => {
  it('running clocks by due instant, then paused ones by minutes left, then events without a clock, latest change first', () => {
    const late = event({ stageDueAt: '2026-12-01T09:00:00.000Z' });
    const soon = event({ stageDueAt: '2026-12-01T02:00:00.000Z' });
    const overdue = event({ stageDueAt: '2026-11-30T02:00:00.000Z', warning: 'red' });
    const paused = event({ status: 'suspended', stagePausedAt: '2026-12-01T00:00:00.000Z', remainingMinutes: 5, stageDueAt: '2026-11-01T00:00:00.000Z' });
    const closedOld = event({ status: 'closed', stage: null, stageDueAt: null, updatedAt: '2026-12-01T02:00:00.000Z' });
    const closedNew = event({ status: 'closed', stage: null, stageDueAt: null, updatedAt: '2026-12-01T05:00:00.000Z' });
    const sorted = [closedOld, paused, late, closedNew, soon, overdue].map(row).sort(compareRows).map((r) => r.event);
    expect(sorted).toEqual([overdue, soon, late, paused, closedNew, closedOld]);
  });

  it('equal due instants: the older report first', () => {
    const a = event({ createdAt: '2026-12-01T01:00:00.000Z' });
    const b = event({ createdAt: '2026-12-01T00:30:00.000Z' });
    expect([a, b].map(row).sort(compareRows).map((r) => r.event)).toEqual([b, a]);
  });
});

describe('filters', () => {
  it('status, category (大类 or 小类), warning, village, source and text', () => {
    const e = event({ categoryCode: '0903', warning: 'yellow', source: 'hotline12345', description: '垃圾桶满溢' });
    const f = emptyFilters();
    expect(matches(e, f)).toBe(true);
    expect(matches(e, { ...f, statuses: ['accepted'] })).toBe(false);
    expect(matchesBesidesStatus(e, { ...f, statuses: ['accepted'] })).toBe(true);
    expect(matches(e, { ...f, categoryCode: '09' })).toBe(true);
    expect(matches(e, { ...f, categoryCode: '0901' })).toBe(false);
    expect(matches(e, { ...f, warning: 'red' })).toBe(false);
    expect(matches(e, { ...f, villageCode: '330523001002' })).toBe(true);
    expect(matches(e, { ...f, villageCode: '330523001003' })).toBe(false);
    expect(matches(e, { ...f, source: 'grid' })).toBe(false);
    expect(matches(e, { ...f, q: '满溢' })).toBe(true);
    expect(matches(e, { ...f, q: e.code.slice(-5) })).toBe(true);
    expect(matches(e, { ...f, q: '噪声' })).toBe(false);
  });

  it('report dates are Shanghai days', () => {
    const e = event({ createdAt: '2026-12-01T17:00:00.000Z' }); // 2026-12-02 01:00 in Shanghai
    const f = emptyFilters();
    expect(matches(e, { ...f, from: '2026-12-02', to: '2026-12-02' })).toBe(true);
    expect(matches(e, { ...f, to: '2026-12-01' })).toBe(false);
    expect(matches(e, { ...f, from: '2026-12-03' })).toBe(false);
  });
});

describe('action bodies', () => {
  it('send the fields each action takes, with the version the user saw', () => {
    const f = { ...emptyForm(), note: ' 请处理 ', reason: ' 重复上报 ', unitCode: '330523001-JG', supportUnitCodes: ['330523001-JG', '330523001-PCS'] };
    // 受理 always says the tier (the form starts from the event's: 一般 for a new report)
    expect(actionBody('accept', f, 3)).toEqual({ type: 'accept', expectedVersion: 3, complexity: 'ordinary', note: '请处理' });
    expect(actionBody('accept', { ...f, complexity: 'complex', note: '' }, 3)).toEqual({ type: 'accept', expectedVersion: 3, complexity: 'complex' });
    expect(actionBody('reject', f, 3)).toEqual({ type: 'reject', expectedVersion: 3, reason: '重复上报' });
    expect(actionBody('dispatch', f, 4)).toEqual({ type: 'dispatch', expectedVersion: 4, unitCode: '330523001-JG', supportUnitCodes: ['330523001-PCS'], note: '请处理' });
    expect(actionBody('verify', { ...f, pass: false }, 7)).toEqual({ type: 'verify', expectedVersion: 7, pass: false, reason: '请处理' });
    expect(actionBody('verify', { ...f, pass: true, note: '' }, 7)).toEqual({ type: 'verify', expectedVersion: 7, pass: true });
    expect(actionBody('request_extension', { ...f, until: '2026-12-08 17:30:00' }, 5))
      .toEqual({ type: 'request_extension', expectedVersion: 5, until: '2026-12-08T17:30:00+08:00', reason: '重复上报' });
    expect(actionBody('approve_extension', { ...f, approve: false, note: '' }, 6)).toEqual({ type: 'approve_extension', expectedVersion: 6, pass: false });
    expect(actionBody('merge', { ...f, targetEventId: 'x', note: '' }, 2)).toEqual({ type: 'merge', expectedVersion: 2, targetEventId: 'x' });
    expect(actionBody('feedback', { ...f, attachmentIds: ['a'] }, 9)).toEqual({ type: 'feedback', expectedVersion: 9, note: '请处理', attachmentIds: ['a'] });
    expect(actionBody('rate', { ...f, score: 4, note: '' }, 9)).toEqual({ type: 'rate', expectedVersion: 9, score: 4 });
  });

  it('say what is missing before sending', () => {
    expect(missing('reject', emptyForm())).toBe('reason');
    expect(missing('feedback', emptyForm())).toBe('feedback');
    expect(missing('dispatch', emptyForm())).toBe('lead');
    expect(missing('merge', emptyForm())).toBe('target');
    expect(missing('request_extension', { ...emptyForm(), reason: '材料未齐' })).toBe('until');
    expect(missing('rate', emptyForm())).toBe('score');
    expect(missing('accept', emptyForm())).toBeNull();
    expect(missing('verify', emptyForm())).toBeNull();
    expect(shanghaiInstant('2026-12-08 09:05')).toBe('2026-12-08T09:05:00+08:00');
  });
});
