import { describe, expect, it } from '@jest/globals';
import { passwordPolicyProblem } from './password-policy.js';

describe('password policy', () => {
  it('accepts a long passphrase with any characters, including Chinese', () => {
    expect(passwordPolicyProblem('安吉白茶 horse battery 9', 'tw.330523001')).toBeNull();
    expect(passwordPolicyProblem('correct-horse-battery', 'admin')).toBeNull();
  });
  it('refuses short, username-bearing, common, published and monotonous passwords', () => {
    expect(passwordPolicyProblem('Short1!', 'admin')).toMatch(/at least 12/);
    expect(passwordPolicyProblem('x'.repeat(129), 'admin')).toMatch(/at most 128/);
    expect(passwordPolicyProblem('my-tw.330523001-pass', 'tw.330523001')).toMatch(/username/);
    expect(passwordPolicyProblem('Grid141!demo', 'county.op')).toMatch(/common or published/);
    expect(passwordPolicyProblem('1qaz2wsx3edc', 'county.op')).toMatch(/common or published/);
    expect(passwordPolicyProblem('abababababab', 'county.op')).toMatch(/distinct/);
    expect(passwordPolicyProblem('            ', 'county.op')).toMatch(/whitespace/);
  });
  it('counts characters, not UTF-16 units', () => {
    // 11 astral characters are 22 UTF-16 units but only 11 characters
    expect(passwordPolicyProblem('😀😁😂🤣😃😄😅😆😉😊😋', 'admin')).toMatch(/at least 12/);
  });
});
