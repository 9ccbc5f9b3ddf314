import { describe, expect, it } from '@jest/globals';
import { makeCalendar } from '#domain';
import { ruleFor } from './sla.service.js';
import type { RuleRow } from './sla.service.js';

// Which rule an event runs under: category before county default, its own tier before the 一般 rule.
const rule = (categoryCode: string | null, urgency: 'normal' | 'urgent', complexity: 'ordinary' | 'complex', accept: number): RuleRow => ({
  categoryCode, urgency, complexity, basis: 'working', maxExtensionDays: 20, accept, dispatch: accept, sign: 1, handle: 1, verify: 1,
  yellowRatio: 0.8, graceMinutes: 0, overall: null, superviseAfter: null });
const settings = (rules: RuleRow[]) => ({ calendar: makeCalendar([]), rules });

describe('ruleFor', () => {
  const rules = [rule(null, 'normal', 'ordinary', 1), rule(null, 'normal', 'complex', 2), rule('0901', 'normal', 'ordinary', 3),
    rule(null, 'urgent', 'ordinary', 4), rule('0902', 'normal', 'complex', 5)];
  const pick = (categoryCode: string, urgency: string, complexity?: 'ordinary' | 'complex') => ruleFor(settings(rules), { categoryCode, urgency, complexity })?.accept;

  it('takes the category rule of the tier, else the county default of the tier', () => {
    expect(pick('0901', 'normal', 'ordinary')).toBe(3);
    expect(pick('0902', 'normal', 'complex')).toBe(5);
    expect(pick('0901', 'normal', 'complex')).toBe(2); // the tier is decisive: the 复杂 default, not 0901's 一般 rule
    expect(pick('0201', 'normal', 'complex')).toBe(2);
    expect(pick('0902', 'normal', 'ordinary')).toBe(1);
  });

  it('a tier without any rule falls back to the 一般 rules; no tier means 一般', () => {
    expect(pick('0201', 'urgent', 'complex')).toBe(4);
    expect(pick('0901', 'normal')).toBe(3);
    expect(ruleFor(settings([rule('0901', 'normal', 'ordinary', 3)]), { categoryCode: '0901', urgency: 'normal', complexity: 'complex' })?.accept).toBe(3);
    expect(ruleFor(settings([rule('0901', 'normal', 'complex', 3)]), { categoryCode: '0201', urgency: 'normal' })).toBeNull();
  });
});
