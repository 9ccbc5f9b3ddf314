import { describe, expect, it } from '@jest/globals';
import { backoffDelay, isRetryable, withRetries } from './gateway-retry.js';
import type { AttemptOutcome } from './gateway-retry.js';

const policy = { maxAttempts: 4, baseMs: 100, maxMs: 1000 };

/** Plays a script of outcomes and records the sleeps asked for (no timers: the delays are checked, not waited). */
function scripted(outcomes: AttemptOutcome[]) {
  const sleeps: number[] = [];
  let calls = 0;
  return {
    sleeps, calls: () => calls,
    attempt: async () => outcomes[Math.min(calls++, outcomes.length - 1)],
    hooks: { sleep: async (ms: number) => { sleeps.push(ms); }, random: () => 0.999 },
  };
}
const answer = (status: number, body: unknown = {}): AttemptOutcome => ({ kind: 'answered', status, body });

describe('backoff with full jitter', () => {
  it('draws each delay uniformly below min(max, base·2^(n-1))', () => {
    expect([1, 2, 3, 4, 5, 10].map((n) => backoffDelay(n, policy, () => 0.999999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(2, policy, () => 0.5)).toBe(100);
  });

  it('spreads retries: 1000 draws for retry 4 cover the range, all below the ceiling', () => {
    const draws = Array.from({ length: 1000 }, () => backoffDelay(4, policy));
    expect(Math.max(...draws)).toBeLessThan(800);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(new Set(draws.map((d) => Math.floor(d / 100))).size).toBe(8);
  });
});

describe('which failures are retried', () => {
  it('retries 5xx, 408, 429, timeouts and connection errors; not other 4xx', () => {
    expect([500, 502, 503, 504, 408, 429].every((s) => isRetryable(answer(s)))).toBe(true);
    expect([400, 401, 403, 404, 409, 422].some((s) => isRetryable(answer(s)))).toBe(false);
    expect(isRetryable({ kind: 'timeout', error: 'x' })).toBe(true);
    expect(isRetryable({ kind: 'connection', error: 'ECONNRESET' })).toBe(true);
  });
});

describe('withRetries', () => {
  it('retries through 5xx and a timeout, then succeeds, backing off between attempts', async () => {
    const s = scripted([answer(503), { kind: 'timeout', error: 'headers timeout' }, answer(200, { success: true })]);
    const result = await withRetries(s.attempt, policy, s.hooks);
    expect(result).toEqual({ ok: true, status: 200, body: { success: true }, attempts: 3 });
    expect(s.sleeps).toEqual([99, 199]);
  });

  it('gives up after the budget with a retryable "exhausted" result carrying the last error', async () => {
    const s = scripted([answer(502, { message: 'Bad gateway' })]);
    expect(await withRetries(s.attempt, policy, s.hooks))
      .toEqual({ ok: false, reason: 'exhausted', retryable: true, status: 502, error: 'Bad gateway', attempts: 4 });
    expect(s.calls()).toBe(4);
    const c = scripted([{ kind: 'connection', error: 'ECONNREFUSED' }]);
    expect(await withRetries(c.attempt, policy, c.hooks)).toMatchObject({ reason: 'exhausted', error: 'connection: ECONNREFUSED', attempts: 4 });
  });

  it('does not retry a 4xx: rejected at once with the gateway text', async () => {
    const s = scripted([answer(401, { message: 'Invalid signature' }), answer(200)]);
    expect(await withRetries(s.attempt, policy, s.hooks))
      .toEqual({ ok: false, reason: 'rejected', retryable: false, status: 401, error: 'Invalid signature', body: { message: 'Invalid signature' }, attempts: 1 });
    expect(s.calls()).toBe(1);
    expect(s.sleeps).toEqual([]);
  });

  it('turns a 2xx the gateway marks as failed into a rejection', async () => {
    const s = scripted([answer(200, { success: false, errorMsg: '参数错误' })]);
    const refusal = (b: unknown) => ((b as { success?: boolean }).success === false ? '参数错误' : null);
    expect(await withRetries(s.attempt, policy, { ...s.hooks, refusal })).toMatchObject({ ok: false, reason: 'rejected', error: '参数错误', attempts: 1 });
  });
});
