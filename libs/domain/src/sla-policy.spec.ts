import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { nextSlaMark, slaDecisions } from './sla-policy.js';
import type { SlaState } from './sla-policy.js';

const t0 = new Date('2026-11-23T02:00:00Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);
const base: SlaState = { status: 'reported', level: 'township', warning: 'none', stage: 'accept', paused: false,
  yellowAt: at(80), dueAt: at(100), escalateAt: at(110) };

describe('SLA policy', () => {
  it('goes yellow, then red with an automatic 催办, then escalates after the grace', () => {
    expect(slaDecisions(base, at(79))).toEqual([]);
    expect(slaDecisions(base, at(80))).toEqual([{ kind: 'warn', warning: 'yellow' }]);
    const yellow = { ...base, warning: 'yellow' as const };
    expect(slaDecisions(yellow, at(100)).map((d) => d.kind)).toEqual(['warn', 'urge']);
    const red = { ...base, warning: 'red' as const };
    expect(slaDecisions(red, at(105))).toEqual([]);
    expect(slaDecisions(red, at(110))).toEqual([{ kind: 'escalate', reason: expect.stringContaining('县级') }]);
  });

  it('jumps straight to red (with 催办) and escalation when a timer fired late', () => {
    expect(slaDecisions(base, at(500)).map((d) => d.kind)).toEqual(['warn', 'urge', 'escalate']);
  });

  it('never escalates the handling stage, a county-level event, a paused or a closed one', () => {
    expect(slaDecisions({ ...base, stage: 'handle', status: 'handling' }, at(500)).map((d) => d.kind)).toEqual(['warn', 'urge']);
    expect(slaDecisions({ ...base, level: 'county' }, at(500)).map((d) => d.kind)).toEqual(['warn', 'urge']);
    expect(slaDecisions({ ...base, paused: true }, at(500))).toEqual([]);
    expect(slaDecisions({ ...base, status: 'suspended' }, at(500))).toEqual([]);
    expect(slaDecisions({ ...base, status: 'closed', stage: null }, at(500))).toEqual([]);
  });

  it('names the next mark: yellow, then due, then escalation, then nothing', () => {
    expect(nextSlaMark(base)).toEqual(at(80));
    expect(nextSlaMark({ ...base, warning: 'yellow' })).toEqual(at(100));
    expect(nextSlaMark({ ...base, warning: 'red' })).toEqual(at(110));
    expect(nextSlaMark({ ...base, warning: 'red', stage: 'handle', status: 'handling' })).toBeNull();
    expect(nextSlaMark({ ...base, paused: true })).toBeNull();
  });

  it('applying the decisions at the next mark always moves the next mark later or to nothing (no timer loops)', () => {
    fc.assert(fc.property(
      fc.constantFrom('reported', 'accepted', 'dispatched', 'handling', 'handled'),
      fc.constantFrom('village', 'township', 'county'),
      fc.constantFrom('accept', 'sign', 'handle', 'verify'),
      fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 }),
      (status, level, stage, due, yellowBefore, grace) => {
        let s: SlaState = { status: status as SlaState['status'], level: level as SlaState['level'], warning: 'none', stage: stage as SlaState['stage'], paused: false,
          yellowAt: at(Math.max(0, due - yellowBefore)), dueAt: at(due), escalateAt: at(due + grace) };
        for (let steps = 0; steps < 5; steps++) {
          const mark = nextSlaMark(s);
          if (!mark) return true;
          const decisions = slaDecisions(s, mark);
          expect(decisions.length).toBeGreaterThan(0);
          for (const d of decisions) {
            if (d.kind === 'warn') s = { ...s, warning: d.warning };
            if (d.kind === 'escalate') return true; // a new stage starts with new marks
          }
          const after = nextSlaMark(s);
          if (after) expect(after.getTime()).toBeGreaterThanOrEqual(mark.getTime());
          if (after && after.getTime() === mark.getTime()) expect(slaDecisions(s, mark).length).toBeGreaterThan(0);
        }
        return nextSlaMark(s) === null;
      }));
  });
});
