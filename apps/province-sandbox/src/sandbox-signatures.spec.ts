import { describe, expect, it } from '@jest/globals';
import { checkIrs, checkZwdd, provinceHeaders } from './sandbox-signatures.js';

/*
 * The same OpenSSL-made vectors as libs/core/src/gateway/gateway-signers.spec.ts (see the commands there), checked
 * against the sandbox's own implementation: the two readings of the spec must agree on fixed bytes, not only with
 * each other.
 */
const irsKeys = new Map([['BCDSGA_testak', 'BCDSGS_testsk']]);
const zwddKeys = new Map([['zwdd-ak', 'zwdd-test-secret']]);

describe('sandbox verification against fixed vectors', () => {
  it('IRS: accepts the vector, canonicalising a non-ASCII query written in another order and encoding', () => {
    const at = Date.UTC(2026, 11, 1, 6, 30, 20);
    const headers = { 'x-bg-hmac-access-key': 'BCDSGA_testak', 'x-bg-hmac-algorithm': 'hmac-sha256', 'x-bg-date-time': 'Tue, 01 Dec 2026 06:30:00 GMT',
      'x-bg-hmac-signature': 'OawUFjF1mi6+Dsn+6hQSvdUs7K4W5qoijQDpUd62IwE=' };
    const query = 'name=%E5%BC%A0%E4%B8%89&a=x+y&city=%E6%9D%AD%E5%B7%9E%20%E8%A5%BF%E6%B9%96&Z=1&a=b';
    expect(checkIrs('GET', '/restapi/prod/IC33000020260000000011/person', query, headers, irsKeys, 90, at)).toEqual({ ok: true, accessKey: 'BCDSGA_testak' });
    expect(checkIrs('GET', '/restapi/prod/IC33000020260000000011/person', `${query}&extra=1`, headers, irsKeys, 90, at)).toEqual({ ok: false, error: 'Invalid signature' });
    expect(checkIrs('GET', '/restapi/prod/IC33000020260000000011/person', query, headers, irsKeys, 90, at + 71_000)).toEqual({ ok: false, error: 'Clock skew exceeded' });
  });

  it('IRS: the empty-query vector', () => {
    const headers = { 'x-bg-hmac-access-key': 'BCDSGA_testak', 'x-bg-hmac-algorithm': 'hmac-sha256', 'x-bg-date-time': 'Tue, 09 Nov 2021 08:49:20 GMT',
      'x-bg-hmac-signature': 'BDAiXBa3oK1C3GP9c0rjWuGQEDUhNZQitoUPxQD1jBk=' };
    expect(checkIrs('POST', '/restapi/prod/IC33000020220329000008/uc/sso/getUserInfo', '', headers, irsKeys, 90, Date.UTC(2021, 10, 9, 8, 49, 0)).ok).toBe(true);
  });

  it('浙政钉: the form vector, and the no-parameter vector without a PARAMS line', () => {
    const at = Date.UTC(2026, 10, 23, 2, 0, 30);
    const base = { apikey: 'zwdd-ak', 'x-hmac-auth-timestamp': '2026-11-23T10:00:00.000+08:00', 'x-hmac-auth-nonce': '17953992000000042' };
    const form = 'tenantId=196729&receiverIds=a1%2Ca2&msg=%7B%22msgtype%22%3A%22text%22%2C%22text%22%3A%7B%22content%22%3A%22%E8%AF%B7%E7%AD%BE%E6%94%B6%E4%BA%8B%E4%BB%B6%22%7D%7D&bizMsgId=m-1';
    expect(checkZwdd('POST', '/message/workNotification', '', form, { ...base, 'x-hmac-auth-signature': 'iYgFGZzlLPiEGpcDENWw601oZ+FKNtPKElDmySmP2K8=' }, zwddKeys, 90, at).ok).toBe(true);
    expect(checkZwdd('POST', '/rpc/oauth2/dingtalk_app_token.json', '', null, { ...base, 'x-hmac-auth-signature': 'AiUF+hAJ99JfPB1dY8UsUjHAcIUZhYpjZFOu47Ustfw=' }, zwddKeys, 90, at).ok).toBe(true);
    expect(checkZwdd('POST', '/message/workNotification', '', form, { ...base, apikey: 'other', 'x-hmac-auth-signature': 'x' }, zwddKeys, 90, at)).toEqual({ ok: false, error: 'Invalid access key' });
  });

  it('signs its own pushes so that its own check accepts them (both schemes)', () => {
    const now = new Date();
    const form = 'orderNo=ZJ1&title=%E8%B7%AF%E7%81%AF';
    const z = provinceHeaders('zwdd', 'POST', '/api/v1/province/work-orders', '', form, 'zwdd-ak', 'zwdd-test-secret', now, '123');
    const lower = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));
    expect(checkZwdd('POST', '/api/v1/province/work-orders', '', form, lower(z), zwddKeys, 90, now.getTime())).toEqual({ ok: true, accessKey: 'zwdd-ak', nonce: '123' });
    const i = provinceHeaders('irs', 'POST', '/api/v1/province/work-orders', 'b=2&a=1', form, 'BCDSGA_testak', 'BCDSGS_testsk', now, '');
    expect(checkIrs('POST', '/api/v1/province/work-orders', 'a=1&b=2', lower(i), irsKeys, 90, now.getTime()).ok).toBe(true);
  });
});
