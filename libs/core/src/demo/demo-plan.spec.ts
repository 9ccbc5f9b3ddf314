import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ArrivalProcess, FATES, fateOf, nextMove, shanghaiHour } from './demo-plan.js';
import type { DemoEventState, Fate } from './demo-plan.js';
import { DemoRandom } from './demo-random.js';
import { CATEGORY_TEMPLATES } from './demo-templates.js';

const event = (over: Partial<DemoEventState> = {}): DemoEventState => ({
  id: '01a20ada-2c00-7070-9c1c-1f0707070707', status: 'reported', level: 'township', categoryCode: '0901', urgent: false,
  returnCount: 0, reworkCount: 0, rating: null, resolvedOnSite: false, since: new Date('2026-11-24T02:00:00Z'), ...over,
});

describe('demo plan', () => {
  it('files most reports in working hours (Asia/Shanghai) and few at night', () => {
    const arrivals = new ArrivalProcess(new DemoRandom(1), 120, new Date('2026-11-23T16:00:00Z')).until(new Date('2026-11-30T16:00:00Z'));
    const day = arrivals.filter((a) => shanghaiHour(a) >= 8 && shanghaiHour(a) < 18).length;
    const night = arrivals.filter((a) => shanghaiHour(a) >= 22 || shanghaiHour(a) < 6).length;
    // Σ hourly weights ≈ 11.15 busy hours a day
    expect(arrivals.length / 7).toBeGreaterThan(1150);
    expect(arrivals.length / 7).toBeLessThan(1550);
    expect(day / arrivals.length).toBeGreaterThan(0.75); // 8.9 of 11.15
    expect(night / arrivals.length).toBeLessThan(0.05);
  });

  it('uses only categories of data/categories.json that are events', () => {
    const categories = JSON.parse(readFileSync(new URL('../../../../data/categories.json', import.meta.url), 'utf8')) as
      { categories: { code: string; isEvent: boolean }[] };
    const known = new Set(categories.categories.filter((c) => c.isEvent).map((c) => c.code));
    for (const t of CATEGORY_TEMPLATES) expect(known.has(t.code)).toBe(true);
  });

  it('gives every fate to some events, and the same one to the same id', () => {
    const seen = new Set<Fate>();
    for (let i = 0; i < 2000; i++) seen.add(fateOf(5, `id-${i}`, '0901'));
    expect([...seen].sort()).toEqual([...FATES].sort());
    expect(fateOf(5, 'x', '0102')).toBe(fateOf(5, 'x', '0102'));
    expect(fateOf(5, 'x', '0102')).not.toBe('self'); // a dispute is not fixed on the spot
  });

  it('leaves ordinary work to the morning, but not an urgent event', () => {
    const evening = new Date('2026-11-24T14:10:00Z'); // 22:10 in Anji
    const ordinary = nextMove(5, event({ since: evening }), 'close')!;
    expect(shanghaiHour(ordinary.dueAt)).toBeGreaterThanOrEqual(7);
    expect(ordinary.dueAt.getTime() - evening.getTime()).toBeGreaterThan(8 * 3600_000);
    const urgent = nextMove(5, event({ since: evening, urgent: true }), 'close')!;
    expect(urgent.dueAt.getTime() - evening.getTime()).toBeLessThan(3600_000);
  });

  it('walks an event to the end: returned once, reworked once, then rated or left', () => {
    expect(nextMove(5, event({ status: 'dispatched' }), 'return')!.type).toBe('return');
    expect(nextMove(5, event({ status: 'accepted', returnCount: 1 }), 'return')).toMatchObject({ type: 'dispatch', alternative: true });
    expect(nextMove(5, event({ status: 'dispatched', returnCount: 1 }), 'return')!.type).toBe('sign');
    expect(nextMove(5, event({ status: 'handled' }), 'rework')).toMatchObject({ type: 'verify', pass: false });
    expect(nextMove(5, event({ status: 'handled', reworkCount: 1 }), 'rework')).toMatchObject({ type: 'verify', pass: true });
    expect(nextMove(5, event({ status: 'closed', rating: 4 }), 'close')).toBeNull();
    expect(nextMove(5, event({ status: 'rejected' }), 'reject')).toBeNull();
  });
});
