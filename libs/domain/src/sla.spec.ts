import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { makeCalendar, parseCalendarFile } from './calendar.js';
import {
  addDuration,
  elapsedMinutes,
  remainingMinutes,
  resumeDue,
  slaMarks,
  warningAt,
  type StageLimit,
  type TimeBasis,
} from './sla.js';

// Dynamic imports keep the JSON import attribute through the swc transform.
const cn2026 = (await import('../../../data/calendar/cn-2026.json', { with: { type: 'json' } })).default;
const cn2027 = (await import('../../../data/calendar/cn-2027.json', { with: { type: 'json' } })).default;

const sh = (s: string): Date => new Date(`${s.replace(' ', 'T')}+08:00`);
const cal = makeCalendar([...parseCalendarFile(cn2026).days, ...parseCalendarFile(cn2027).days]);

describe('addDuration / elapsedMinutes', () => {
  it('natural basis ignores the calendar (holidays, weekends, lunch)', () => {
    expect(addDuration(cal, 'natural', sh('2026-10-01 10:00'), 30)).toEqual(sh('2026-10-01 10:30'));
    expect(addDuration(cal, 'natural', sh('2026-03-13 17:00'), 24 * 60)).toEqual(sh('2026-03-14 17:00'));
    expect(elapsedMinutes(cal, 'natural', sh('2026-09-30 17:00'), sh('2026-10-08 08:30'))).toBe(7 * 1440 + 930);
    expect(elapsedMinutes(cal, 'natural', sh('2026-10-08 08:30'), sh('2026-09-30 17:00'))).toBe(0);
  });

  it('working basis follows the calendar', () => {
    expect(addDuration(cal, 'working', sh('2026-10-01 10:00'), 30)).toEqual(sh('2026-10-08 09:00'));
    expect(elapsedMinutes(cal, 'working', sh('2026-09-30 17:00'), sh('2026-10-08 08:30'))).toBe(30);
  });
});

describe('slaMarks', () => {
  it('2 working hours from Friday 16:00: yellow at 80 % Monday 08:36, due 09:00, escalation 60 natural minutes later', () => {
    const marks = slaMarks(cal, { minutes: 120, basis: 'working', escalateGraceMinutes: 60 }, sh('2026-03-13 16:00'));
    expect(marks).toEqual({
      startedAt: sh('2026-03-13 16:00'),
      yellowAt: sh('2026-03-16 08:36'),
      dueAt: sh('2026-03-16 09:00'),
      escalateAt: sh('2026-03-16 10:00'),
    });
  });

  it('an urgent (natural) 30-minute limit on a holiday runs on the wall clock', () => {
    const marks = slaMarks(cal, { minutes: 30, basis: 'natural', escalateGraceMinutes: 15 }, sh('2026-10-01 10:00'));
    expect(marks.yellowAt).toEqual(sh('2026-10-01 10:24'));
    expect(marks.dueAt).toEqual(sh('2026-10-01 10:30'));
    expect(marks.escalateAt).toEqual(sh('2026-10-01 10:45'));
  });

  it('1 working day started the afternoon before National Day is due on 10-08; yellowRatio is configurable', () => {
    const marks = slaMarks(cal, { minutes: 450, basis: 'working', yellowRatio: 0.5 }, sh('2026-09-30 15:00'));
    expect(marks.yellowAt).toEqual(sh('2026-10-08 09:45')); // 225 min: 150 on 09-30, 75 on 10-08
    expect(marks.dueAt).toEqual(sh('2026-10-08 15:00'));
    expect(marks.escalateAt).toEqual(marks.dueAt);
  });

  it('rejects bad limits', () => {
    expect(() => slaMarks(cal, { minutes: -1, basis: 'working' }, sh('2026-03-13 16:00'))).toThrow(RangeError);
    expect(() => slaMarks(cal, { minutes: 60, basis: 'working', yellowRatio: 1.5 }, sh('2026-03-13 16:00'))).toThrow(RangeError);
    expect(() => slaMarks(cal, { minutes: 60, basis: 'natural', escalateGraceMinutes: -5 }, sh('2026-03-13 16:00'))).toThrow(RangeError);
  });
});

describe('warningAt', () => {
  const marks = { yellowAt: sh('2026-03-16 08:36'), dueAt: sh('2026-03-16 09:00') };
  it('none before yellowAt, yellow from yellowAt, red from dueAt', () => {
    expect(warningAt(marks, sh('2026-03-16 08:35:59.999'))).toBe('none');
    expect(warningAt(marks, sh('2026-03-16 08:36'))).toBe('yellow');
    expect(warningAt(marks, sh('2026-03-16 08:59:59.999'))).toBe('yellow');
    expect(warningAt(marks, sh('2026-03-16 09:00'))).toBe('red');
    expect(warningAt(marks, sh('2026-04-01 09:00'))).toBe('red');
  });
});

describe('remainingMinutes', () => {
  const due = sh('2026-03-16 10:00'); // Monday
  it('working basis: working minutes left, negative working minutes when overdue', () => {
    expect(remainingMinutes(cal, 'working', due, sh('2026-03-13 17:00'))).toBe(120);
    expect(remainingMinutes(cal, 'working', due, sh('2026-03-16 10:00'))).toBe(0);
    expect(remainingMinutes(cal, 'working', due, sh('2026-03-16 14:00'))).toBe(-(120 + 30));
  });
  it('natural basis: wall-clock minutes, negative natural minutes when overdue', () => {
    expect(remainingMinutes(cal, 'natural', due, sh('2026-03-13 17:00'))).toBe(3 * 1440 - 420);
    expect(remainingMinutes(cal, 'natural', due, sh('2026-03-16 14:00'))).toBe(-240);
  });
});

describe('resumeDue', () => {
  it('working: the 120 working minutes left at suspension run again from resume', () => {
    const due = resumeDue(cal, 'working', sh('2026-03-13 14:00'), sh('2026-03-13 16:00'), sh('2026-03-17 09:00'));
    expect(due).toEqual(sh('2026-03-17 11:00'));
  });

  it('working: across National Day, continuing on the make-up Saturday 10-10', () => {
    // suspended 09-30 17:00 with due 10-08 10:00 → 30 + 90 = 120 working minutes left
    const due = resumeDue(cal, 'working', sh('2026-09-30 17:00'), sh('2026-10-08 10:00'), sh('2026-10-09 16:00'));
    expect(due).toEqual(sh('2026-10-10 09:00'));
  });

  it('natural: due moves by the length of the suspension', () => {
    const due = resumeDue(cal, 'natural', sh('2026-10-01 10:00'), sh('2026-10-01 11:00'), sh('2026-10-02 08:00'));
    expect(due).toEqual(sh('2026-10-02 09:00'));
  });

  it('overdue at suspension stays overdue by the same amount', () => {
    const w = resumeDue(cal, 'working', sh('2026-03-16 10:30'), sh('2026-03-16 10:00'), sh('2026-03-18 09:00'));
    expect(w).toEqual(sh('2026-03-18 08:30'));
    expect(remainingMinutes(cal, 'working', w, sh('2026-03-18 09:00'))).toBe(-30);
    const n = resumeDue(cal, 'natural', sh('2026-03-16 10:30'), sh('2026-03-16 10:00'), sh('2026-03-18 09:00'));
    expect(n).toEqual(sh('2026-03-18 08:30'));
  });

  it('no suspension time changes nothing; resuming before suspending is an error', () => {
    expect(resumeDue(cal, 'working', sh('2026-03-13 14:00'), sh('2026-03-13 16:00'), sh('2026-03-13 14:00')))
      .toEqual(sh('2026-03-13 16:00'));
    expect(() => resumeDue(cal, 'working', sh('2026-03-13 14:00'), sh('2026-03-13 16:00'), sh('2026-03-13 13:00')))
      .toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties.

const FROM = sh('2026-01-01 00:00').getTime();
const TO = sh('2028-01-01 00:00').getTime() - 1;
const instant = fc.integer({ min: FROM, max: TO }).map((ms) => new Date(ms));
const basis = fc.constantFrom<TimeBasis>('working', 'natural');
const limit: fc.Arbitrary<StageLimit> = fc.record({
  minutes: fc.integer({ min: 0, max: 20 * 480 }),
  basis,
  yellowRatio: fc.double({ min: 0, max: 1, noNaN: true }),
  escalateGraceMinutes: fc.integer({ min: 0, max: 3 * 1440 }),
});
const RANK = { none: 0, yellow: 1, red: 2 } as const;

describe('SLA properties', () => {
  it('marks are ordered startedAt <= yellowAt <= dueAt <= escalateAt and dueAt is `minutes` after start in the basis', () => {
    fc.assert(fc.property(limit, instant, (l, s) => {
      const m = slaMarks(cal, l, s);
      expect(m.startedAt.getTime()).toBeLessThanOrEqual(m.yellowAt.getTime());
      expect(m.yellowAt.getTime()).toBeLessThanOrEqual(m.dueAt.getTime());
      expect(m.dueAt.getTime()).toBeLessThanOrEqual(m.escalateAt.getTime());
      expect(Math.abs(elapsedMinutes(cal, l.basis, s, m.dueAt) - l.minutes)).toBeLessThan(1e-6);
    }), { numRuns: 200 });
  });

  it('warningAt only moves none → yellow → red as time passes', () => {
    fc.assert(fc.property(limit, instant, fc.array(fc.integer({ min: 0, max: 40 * 1440 * 60_000 }), { minLength: 2, maxLength: 12 }),
      (l, s, offsets) => {
        const m = slaMarks(cal, l, s);
        const levels = [...offsets].sort((a, b) => a - b).map((o) => RANK[warningAt(m, new Date(s.getTime() + o))]);
        for (let i = 1; i < levels.length; i++) expect(levels[i]!).toBeGreaterThanOrEqual(levels[i - 1]!);
        expect(warningAt(m, m.dueAt)).toBe('red');
        if (m.yellowAt.getTime() < m.dueAt.getTime()) expect(warningAt(m, m.yellowAt)).toBe('yellow');
      }), { numRuns: 200 });
  });

  it('resumeDue keeps the time remaining at suspension', () => {
    fc.assert(fc.property(basis, instant, fc.integer({ min: -5 * 1440, max: 20 * 1440 }), fc.integer({ min: 0, max: 30 * 1440 }),
      (b, suspendedAt, dueOffsetMin, pauseMin) => {
        const dueAt = new Date(suspendedAt.getTime() + dueOffsetMin * 60_000);
        const resumedAt = new Date(suspendedAt.getTime() + pauseMin * 60_000);
        const before = remainingMinutes(cal, b, dueAt, suspendedAt);
        const after = remainingMinutes(cal, b, resumeDue(cal, b, suspendedAt, dueAt, resumedAt), resumedAt);
        expect(Math.abs(after - before)).toBeLessThan(1e-6);
      }), { numRuns: 200 });
  });
});
