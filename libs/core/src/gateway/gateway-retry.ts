/**
 * Retries of a gateway call: exponential backoff with full jitter (the delay before retry n is uniform in
 * [0, min(maxMs, baseMs · 2^(n-1))), so that many workers retrying after one outage spread out instead of arriving in
 * waves), only for answers that may succeed later: 5xx, timeouts, connection errors, and the two 4xx that say "later"
 * (408 Request Timeout, 429 Too Many Requests). Any other 4xx is final: the request itself is wrong or not allowed, and
 * retrying it only repeats the refusal — it goes to the dead letters for a person to look at.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included (≥ 1). */
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
}

/** What one attempt came to. */
export type AttemptOutcome =
  | { kind: 'answered'; status: number; body: unknown }
  | { kind: 'timeout'; error: string }
  | { kind: 'connection'; error: string };

/** The end result of a call, after retries. */
export type GatewayResult<T> =
  | { ok: true; status: number; body: T; attempts: number }
  /** Refused for good (4xx, or the gateway's own "success": false): dead-letter it now, retrying cannot help. */
  | { ok: false; reason: 'rejected'; retryable: false; status: number; error: string; body: unknown; attempts: number }
  /** The retry budget is spent on transient failures: keep the message and try again later, or dead-letter it. */
  | { ok: false; reason: 'exhausted'; retryable: true; status?: number; error: string; attempts: number }
  /** The gateway is not configured (no base URL / keys): nothing was sent. */
  | { ok: false; reason: 'not_configured'; retryable: false; error: string; attempts: 0 };

export type GatewayFailure = Extract<GatewayResult<unknown>, { ok: false }>;

export function backoffDelay(retry: number, policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

export function isRetryable(outcome: AttemptOutcome): boolean {
  if (outcome.kind !== 'answered') return true;
  return outcome.status >= 500 || outcome.status === 408 || outcome.status === 429;
}

/** A readable error of an answer: the gateways' `message` / `errorMsg` / `msg`, else the status. */
export function answerError(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const content = (b.content && typeof b.content === 'object' ? b.content : {}) as Record<string, unknown>;
    for (const v of [b.message, b.errorMsg, b.msg, b.error, content.responseMessage, content.errorMsg]) {
      if (typeof v === 'string' && v !== '') return v;
    }
  }
  if (typeof body === 'string' && body.trim() !== '') return body.trim().slice(0, 200);
  return `HTTP ${status}`;
}

export interface RetryHooks {
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** A final check of a 2xx answer (e.g. 浙政钉's `success: false`): a string refuses it. */
  refusal?: (body: unknown) => string | null;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `attempt` (which signs afresh each time) until it succeeds, fails for good, or the budget is spent. */
export async function withRetries<T>(attempt: (n: number) => Promise<AttemptOutcome>, policy: RetryPolicy, hooks: RetryHooks = {}): Promise<GatewayResult<T>> {
  const sleep = hooks.sleep ?? realSleep;
  let last: AttemptOutcome | undefined;
  const max = Math.max(1, policy.maxAttempts);
  for (let n = 1; n <= max; n++) {
    if (n > 1) await sleep(backoffDelay(n - 1, policy, hooks.random));
    last = await attempt(n);
    if (last.kind === 'answered' && last.status >= 200 && last.status < 300) {
      const refused = hooks.refusal?.(last.body) ?? null;
      if (refused !== null) return { ok: false, reason: 'rejected', retryable: false, status: last.status, error: refused, body: last.body, attempts: n };
      return { ok: true, status: last.status, body: last.body as T, attempts: n };
    }
    if (!isRetryable(last)) {
      const { status, body } = last as Extract<AttemptOutcome, { kind: 'answered' }>;
      return { ok: false, reason: 'rejected', retryable: false, status, error: answerError(status, body), body, attempts: n };
    }
  }
  const final = last!;
  return final.kind === 'answered'
    ? { ok: false, reason: 'exhausted', retryable: true, status: final.status, error: answerError(final.status, final.body), attempts: max }
    : { ok: false, reason: 'exhausted', retryable: true, error: `${final.kind}: ${final.error}`, attempts: max };
}
