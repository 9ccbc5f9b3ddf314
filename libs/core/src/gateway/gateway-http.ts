import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { encodeForm } from './gateway-form.js';
import { paramPairs } from './gateway-errors.js';
import type { Params } from './gateway-errors.js';
import { withRetries } from './gateway-retry.js';
import type { AttemptOutcome, GatewayResult, RetryHooks, RetryPolicy } from './gateway-retry.js';
import { irsCanonicalQuery, signIrs } from './irs-signer.js';
import { signZwdd } from './zwdd-signer.js';
import type { GatewayTarget } from './gateway-config.js';

/** One call to a gateway: the query is always signed; a form body is signed by the 浙政钉 scheme, a JSON body by neither. */
export interface GatewayCall {
  method: 'GET' | 'POST';
  path: string;
  query?: Params;
  form?: Params;
  json?: unknown;
}

export interface GatewayHttpOptions {
  timeoutMs: number;
  retry: RetryPolicy;
  connections?: number;
  /** 浙政钉 X-Hmac-Auth-IP / -MAC. */
  clientIp?: string;
  clientMac?: string;
  hooks?: RetryHooks;
  now?: () => Date;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/** Kind of a thrown request error: our per-attempt deadline or undici's timeouts, else a connection failure. */
function classify(error: unknown, signal: AbortSignal): AttemptOutcome {
  const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  const text = [code, e.message].filter(Boolean).join(' ');
  if (signal.aborted || e.name === 'TimeoutError' || e.name === 'AbortError' || (code && TIMEOUT_CODES.has(code))) return { kind: 'timeout', error: text || 'timeout' };
  return { kind: 'connection', error: text || String(error) };
}

/**
 * Signed HTTP to one gateway over undici, with a keep-alive pool, a deadline per attempt covering connect to last byte,
 * and retries (gateway-retry.ts). Each attempt is signed afresh: a retry carries a new date and nonce, never a replay.
 */
export class GatewayHttp {
  private readonly agent: Agent;
  private readonly now: () => Date;

  constructor(private readonly target: GatewayTarget, private readonly options: GatewayHttpOptions) {
    this.agent = new Agent({ connections: options.connections ?? 32, keepAliveTimeout: 10_000, connect: { timeout: options.timeoutMs } });
    this.now = options.now ?? (() => new Date());
  }

  async send<T>(call: GatewayCall, refusal?: (body: unknown) => string | null): Promise<GatewayResult<T>> {
    return withRetries<T>(() => this.attempt(call), this.options.retry, { ...this.options.hooks, refusal });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private headersFor(call: GatewayCall): Record<string, string> {
    const { target } = this;
    if (target.scheme === 'irs') {
      return { ...signIrs({ method: call.method, path: call.path, query: call.query, accessKey: target.accessKey, secretKey: target.secretKey, date: this.now() }) };
    }
    // pairs, not a merged object: a key in both the query and the form is sent twice and must be signed twice
    const params = [...paramPairs(call.query), ...paramPairs(call.form)];
    return { ...signZwdd({
      method: call.method, path: call.path, params, accessKey: target.accessKey, secretKey: target.secretKey, date: this.now(),
      ip: this.options.clientIp, mac: this.options.clientMac,
    }) };
  }

  private async attempt(call: GatewayCall): Promise<AttemptOutcome> {
    // the query on the wire in the same canonical order and encoding as signed, so no proxy reordering can matter
    const query = irsCanonicalQuery(call.query);
    const url = `${this.target.baseUrl}${call.path}${query ? `?${query}` : ''}`;
    const headers = this.headersFor(call);
    let body: string | undefined;
    if (call.form) { body = encodeForm(call.form); headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8'; }
    else if (call.json !== undefined) { body = JSON.stringify(call.json); headers['content-type'] = 'application/json;charset=UTF-8'; }
    headers.accept = 'application/json';
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const res = await request(url, {
        method: call.method, headers, body, signal, dispatcher: this.agent as Dispatcher,
        headersTimeout: this.options.timeoutMs, bodyTimeout: this.options.timeoutMs,
      });
      const text = await res.body.text();
      let parsed: unknown = text;
      if (text !== '' && /json/i.test(String(res.headers['content-type'] ?? ''))) {
        try { parsed = JSON.parse(text); } catch { /* keep the text */ }
      }
      return { kind: 'answered', status: res.statusCode, body: parsed };
    } catch (error) {
      return classify(error, signal);
    }
  }
}
