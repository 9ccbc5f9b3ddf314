import { describe, expect, it } from '@jest/globals';
import { signIrs } from './irs-signer.js';
import { signZwdd } from './zwdd-signer.js';
import { verifyInbound, verifyIrsRequest, verifyZwddRequest } from './gateway-verifier.js';
import type { InboundRequest, NonceStore } from './gateway-verifier.js';

const NOW = new Date(Date.UTC(2026, 11, 1, 6, 30, 0));
const keys: Record<string, string> = { 'BCDSGA_province': 'BCDSGS_province-secret', 'zwdd-province': 'zwdd-province-secret' };
const secretOf = (ak: string) => keys[ak];

/** A Map with expiries on a fake clock: the unit stand-in for Redis SET NX EX (the Redis store is tested in e2e). */
class MemoryNonceStore implements NonceStore {
  readonly seen = new Map<string, number>();
  constructor(private readonly clock: () => number) {}
  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    const until = this.seen.get(key);
    if (until !== undefined && until > this.clock()) return false;
    this.seen.set(key, this.clock() + ttlSeconds * 1000);
    return true;
  }
}

function irsRequest(opts: { date?: Date; ak?: string; sk?: string; query?: string } = {}): InboundRequest {
  const query = opts.query ?? 'orderNo=ZJ12345-001&type=push';
  const headers = signIrs({
    method: 'POST', path: '/api/v1/province/work-orders', query, accessKey: opts.ak ?? 'BCDSGA_province',
    secretKey: opts.sk ?? 'BCDSGS_province-secret', date: opts.date ?? NOW,
  });
  return { method: 'POST', path: '/api/v1/province/work-orders', query, headers: { ...headers } };
}

function zwddRequest(opts: { date?: Date; nonce?: string; ak?: string; sk?: string; body?: string } = {}): InboundRequest {
  const body = opts.body ?? 'orderNo=ZJ12345-001&title=%E8%B7%AF%E7%81%AF%E4%B8%8D%E4%BA%AE&content=%E8%B7%AF%E7%81%AF+%E4%B8%8D%E4%BA%AE';
  const headers = signZwdd({
    method: 'POST', path: '/api/v1/province/work-orders', params: body, accessKey: opts.ak ?? 'zwdd-province',
    secretKey: opts.sk ?? 'zwdd-province-secret', date: opts.date ?? NOW, nonce: opts.nonce ?? '17645705000001234',
  });
  // as node hands them over: lower-case names
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: 'POST', path: '/api/v1/province/work-orders', query: '', headers: lower, formBody: body };
}

describe('inbound verification, IRS scheme', () => {
  it('accepts a correctly signed request, 90 s either side of now', () => {
    for (const offset of [0, -90_000, 90_000]) {
      const result = verifyIrsRequest(irsRequest({ date: new Date(NOW.getTime() + offset) }), { now: NOW, secretOf });
      expect(result).toMatchObject({ ok: true, scheme: 'irs', accessKey: 'BCDSGA_province' });
    }
  });

  it('refuses a date more than 90 s off with "Clock skew exceeded", and a missing or garbled date', () => {
    for (const offset of [-91_000, 91_000, -3_600_000]) {
      expect(verifyIrsRequest(irsRequest({ date: new Date(NOW.getTime() + offset) }), { now: NOW, secretOf }))
        .toEqual({ ok: false, status: 401, error: 'Clock skew exceeded' });
    }
    const req = irsRequest();
    for (const bad of [undefined, '', 'yesterday']) {
      expect(verifyIrsRequest({ ...req, headers: { ...req.headers, 'X-BG-DATE-TIME': bad } }, { now: NOW, secretOf }))
        .toMatchObject({ ok: false, error: 'Clock skew exceeded' });
    }
  });

  it('refuses an unknown or missing access key with "Invalid access key"', () => {
    expect(verifyIrsRequest(irsRequest({ ak: 'BCDSGA_stranger', sk: 'whatever' }), { now: NOW, secretOf }))
      .toEqual({ ok: false, status: 401, error: 'Invalid access key' });
    const req = irsRequest();
    expect(verifyIrsRequest({ ...req, headers: { ...req.headers, 'X-BG-HMAC-ACCESS-KEY': undefined } }, { now: NOW, secretOf }))
      .toMatchObject({ error: 'Invalid access key' });
  });

  it('refuses a wrong secret, a changed query, path or method, and a wrong algorithm with "Invalid signature"', () => {
    const opts = { now: NOW, secretOf };
    expect(verifyIrsRequest(irsRequest({ sk: 'BCDSGS_wrong' }), opts)).toEqual({ ok: false, status: 401, error: 'Invalid signature' });
    const req = irsRequest();
    expect(verifyIrsRequest({ ...req, query: 'orderNo=ZJ12345-002&type=push' }, opts)).toMatchObject({ error: 'Invalid signature' });
    expect(verifyIrsRequest({ ...req, path: '/api/v1/province/work-orders/x' }, opts)).toMatchObject({ error: 'Invalid signature' });
    expect(verifyIrsRequest({ ...req, method: 'PUT' }, opts)).toMatchObject({ error: 'Invalid signature' });
    expect(verifyIrsRequest({ ...req, headers: { ...req.headers, 'X-BG-HMAC-ALGORITHM': 'hmac-sha1' } }, opts)).toMatchObject({ error: 'Invalid signature' });
    expect(verifyIrsRequest({ ...req, headers: { ...req.headers, 'X-BG-HMAC-SIGNATURE': undefined } }, opts)).toMatchObject({ error: 'Invalid signature' });
    // the query in another order and encoding is the same request
    expect(verifyIrsRequest({ ...req, query: '?type=push&orderNo=ZJ12345%2D001' }, opts)).toMatchObject({ ok: true });
  });
});

describe('inbound verification, 浙政钉 scheme', () => {
  it('accepts a signed form push and signs the body parameters', () => {
    expect(verifyZwddRequest(zwddRequest(), { now: NOW, secretOf })).toMatchObject({ ok: true, replayKey: 'zwdd:zwdd-province:17645705000001234' });
    const tampered = { ...zwddRequest(), formBody: 'orderNo=ZJ12345-001&title=%E8%B7%AF%E7%81%AF%E4%B8%8D%E4%BA%AE&content=changed' };
    expect(verifyZwddRequest(tampered, { now: NOW, secretOf })).toEqual({ ok: false, status: 401, error: 'Invalid signature' });
  });

  it('refuses skew, unknown key and a missing nonce with the gateway texts', () => {
    expect(verifyZwddRequest(zwddRequest({ date: new Date(NOW.getTime() - 120_000) }), { now: NOW, secretOf })).toMatchObject({ error: 'Clock skew exceeded' });
    expect(verifyZwddRequest(zwddRequest({ ak: 'nobody' }), { now: NOW, secretOf })).toMatchObject({ error: 'Invalid access key' });
    const req = zwddRequest();
    expect(verifyZwddRequest({ ...req, headers: { ...req.headers, 'x-hmac-auth-nonce': undefined } }, { now: NOW, secretOf })).toMatchObject({ error: 'Invalid signature' });
    // a different nonce in the header than the one signed
    expect(verifyZwddRequest({ ...req, headers: { ...req.headers, 'x-hmac-auth-nonce': '17645705000009999' } }, { now: NOW, secretOf })).toMatchObject({ error: 'Invalid signature' });
  });
});

describe('verifyInbound: signature first, then the nonce', () => {
  it('refuses a replayed nonce for as long as its timestamp could still pass the clock check', async () => {
    let clock = NOW.getTime();
    const store = new MemoryNonceStore(() => clock);
    const req = zwddRequest();
    const opts = { now: NOW, secretOf, store };
    expect(await verifyInbound('zwdd', req, opts)).toMatchObject({ ok: true });
    expect(await verifyInbound('zwdd', req, opts)).toEqual({ ok: false, status: 401, error: 'Nonce has already been used' });
    // the nonce is remembered for at least 2 × skew: at the edge of the skew window it is still refused
    clock += 180_000;
    expect(await verifyInbound('zwdd', req, { ...opts, now: new Date(NOW.getTime() + 90_000) })).toMatchObject({ error: 'Nonce has already been used' });
    // another nonce with the same body goes through
    expect(await verifyInbound('zwdd', zwddRequest({ nonce: '17645705000005678' }), opts)).toMatchObject({ ok: true });
  });

  it('does not use up a nonce for a request that fails its signature', async () => {
    const store = new MemoryNonceStore(() => NOW.getTime());
    const forged = zwddRequest({ sk: 'guess' });
    expect(await verifyInbound('zwdd', forged, { now: NOW, secretOf, store })).toMatchObject({ error: 'Invalid signature' });
    expect(store.seen.size).toBe(0);
    expect(await verifyInbound('zwdd', zwddRequest(), { now: NOW, secretOf, store })).toMatchObject({ ok: true });
  });

  it('refuses an identical IRS-signed request (same signature) inside the window', async () => {
    const store = new MemoryNonceStore(() => NOW.getTime());
    const req = irsRequest();
    expect(await verifyInbound('irs', req, { now: NOW, secretOf, store })).toMatchObject({ ok: true });
    expect(await verifyInbound('irs', req, { now: NOW, secretOf, store })).toMatchObject({ error: 'Nonce has already been used' });
    expect(await verifyInbound('irs', irsRequest({ date: new Date(NOW.getTime() + 1000) }), { now: NOW, secretOf, store })).toMatchObject({ ok: true });
  });
});
