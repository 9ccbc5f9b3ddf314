import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { findInputProblem, jsonDepth, MAX_DEPTH, textProblem } from './body-guard.js';

const depthOf = (v: unknown): number => (v !== null && typeof v === 'object'
  ? 1 + Math.max(0, ...Object.values(v as Record<string, unknown>).map(depthOf)) : 0);

describe('jsonDepth (raw bytes, before parsing)', () => {
  it('equals the nesting depth of any JSON value, strings with brackets and escapes included', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 8 }), (v) => {
      const text = JSON.stringify(v);
      expect(jsonDepth(Buffer.from(text, 'utf8'), 1000)).toBe(depthOf(v));
    }), { seed: 141, numRuns: 500 });
  });
  it('stops early past the limit', () => {
    expect(jsonDepth(Buffer.from('['.repeat(1_000_000)))).toBe(MAX_DEPTH + 1);
    expect(jsonDepth(Buffer.from('"[[[[\\"[[["'))).toBe(0);
  });
});

describe('findInputProblem', () => {
  it('names the first bad key or string by its path', () => {
    expect(findInputProblem({ a: [{ b: 'x\u0000' }] })).toEqual(['a[0].b', expect.stringMatching(/NUL/)]);
    expect(findInputProblem(JSON.parse('{"a":{"__proto__":1}}'))).toEqual(['a.__proto__', expect.stringMatching(/not allowed/)]);
    expect(findInputProblem({ constructor: 1 })).toEqual(['constructor', expect.any(String)]);
    expect(findInputProblem({ s: 'ok \ud83d\ude00', t: '\ud800' })).toEqual(['t', expect.stringMatching(/surrogate/)]);
    expect(findInputProblem({ s: '安吉', n: 1, b: true, z: null, arr: [1, 'a'] })).toBeNull();
  });
  it('textProblem accepts every well-formed string without NUL', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => {
      expect(textProblem(s.replace(/\u0000/g, ''))).toBeNull();
    }), { seed: 141, numRuns: 300 });
  });
});
