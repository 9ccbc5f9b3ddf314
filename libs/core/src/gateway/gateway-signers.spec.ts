import { describe, expect, it } from '@jest/globals';
import { irsCanonicalQuery, irsSigningString, signIrs, httpDate } from './irs-signer.js';
import { signZwdd, zwddNonce, zwddParamString, zwddSigningString, zwddTimestamp } from './zwdd-signer.js';

/*
 * Test vectors made once, outside this code, with OpenSSL (bash, $'…' strings so that \n is a newline):
 *
 *   sig() { printf '%s' "$2" | openssl dgst -sha256 -hmac "$1" -binary | base64; }
 *   sig BCDSGS_testsk $'GET\n/restapi/prod/IC33000020220329000007/uc/sso/access_token\na=1&b=2\nBCDSGA_testak\nTue, 09 Nov 2021 08:49:20 GMT\n'
 *
 * and likewise for each signing string written out literally below. The hex-digest counterexample:
 *   printf '%s' "$S1" | openssl dgst -sha256 -hmac BCDSGS_testsk -hex | sed 's/.*= //' | tr -d '\n' | base64 -w0
 */
const AK = 'BCDSGA_testak';
const SK = 'BCDSGS_testsk';
const NOV_2021 = new Date(Date.UTC(2021, 10, 9, 8, 49, 20));

describe('IRS X-BG-HMAC signing', () => {
  it('signs METHOD\\nURI\\nQUERY\\nAK\\nDATE\\n with the trailing newline and Base64 of the raw digest', () => {
    const headers = signIrs({
      method: 'get', path: '/restapi/prod/IC33000020220329000007/uc/sso/access_token',
      query: { b: '2', a: '1' }, accessKey: AK, secretKey: SK, date: NOV_2021,
    });
    expect(headers).toEqual({
      'X-BG-HMAC-ACCESS-KEY': AK,
      'X-BG-HMAC-ALGORITHM': 'hmac-sha256',
      'X-BG-DATE-TIME': 'Tue, 09 Nov 2021 08:49:20 GMT',
      'X-BG-HMAC-SIGNATURE': 'MceOd5jRq92YY74xUss5dsfzoTpLskEXK1lWCtNLnhQ=',
    });
    // Base64 of the hex string is 88 characters and a different value: the mistake this guards against
    expect(headers['X-BG-HMAC-SIGNATURE']).not.toBe('MzFjNzhlNzc5OGQxYWJkZDk4NjNiZTMxNTJjYjM5NzZjN2YzYTEzYTRiYjI0MTE3MmI1OTU2MGFkMzRiOWUxNA==');
  });

  it('writes the signing string exactly, newline after the date included', () => {
    expect(irsSigningString('post', '/p', '', AK, 'D')).toBe(`POST\n/p\n\n${AK}\nD\n`);
  });

  it('signs an empty query as an empty line', () => {
    const path = '/restapi/prod/IC33000020220329000008/uc/sso/getUserInfo';
    for (const query of [undefined, '', '?', {}]) {
      expect(signIrs({ method: 'POST', path, query, accessKey: AK, secretKey: SK, date: NOV_2021 })['X-BG-HMAC-SIGNATURE'])
        .toBe('BDAiXBa3oK1C3GP9c0rjWuGQEDUhNZQitoUPxQD1jBk=');
    }
  });

  it('canonicalises the query: ASCII key order, then value, decoded and re-encoded (%20 for space, UTF-8 for Chinese)', () => {
    const expected = 'Z=1&a=b&a=x%20y&city=%E6%9D%AD%E5%B7%9E%20%E8%A5%BF%E6%B9%96&name=%E5%BC%A0%E4%B8%89';
    // the same parameters written four ways: an object, raw UTF-8, percent-encoded, '+' for the spaces
    expect(irsCanonicalQuery({ name: '张三', city: '杭州 西湖', a: ['x y', 'b'], Z: 1 })).toBe(expected);
    expect(irsCanonicalQuery('name=张三&city=杭州 西湖&a=x y&a=b&Z=1')).toBe(expected);
    expect(irsCanonicalQuery('?name=%E5%BC%A0%E4%B8%89&city=%E6%9D%AD%E5%B7%9E%20%E8%A5%BF%E6%B9%96&a=x%20y&a=b&Z=1')).toBe(expected);
    expect(irsCanonicalQuery('a=x+y&Z=1&a=b&city=%E6%9D%AD%E5%B7%9E+%E8%A5%BF%E6%B9%96&name=%E5%BC%A0%E4%B8%89')).toBe(expected);
    const headers = signIrs({
      method: 'GET', path: '/restapi/prod/IC33000020260000000011/person', query: 'name=张三&city=杭州 西湖&a=x y&a=b&Z=1',
      accessKey: AK, secretKey: SK, date: new Date(Date.UTC(2026, 11, 1, 6, 30)),
    });
    expect(headers['X-BG-DATE-TIME']).toBe('Tue, 01 Dec 2026 06:30:00 GMT');
    expect(headers['X-BG-HMAC-SIGNATURE']).toBe('OawUFjF1mi6+Dsn+6hQSvdUs7K4W5qoijQDpUd62IwE=');
  });

  it('keeps a key without a value as k=, encodes reserved characters, and leaves out null parameters', () => {
    expect(irsCanonicalQuery('flag&b=1')).toBe('b=1&flag=');
    expect(irsCanonicalQuery({ q: 'a&b=c/d?', none: undefined, nil: null, e: '' })).toBe('e=&q=a%26b%3Dc%2Fd%3F');
  });

  it('formats the date as RFC 7231 IMF-fixdate in GMT with a zero-padded day', () => {
    expect(httpDate(new Date(Date.UTC(2026, 0, 5, 3, 4, 5, 999)))).toBe('Mon, 05 Jan 2026 03:04:05 GMT');
  });
});

describe('浙政钉 X-Hmac-Auth signing', () => {
  const date = new Date(Date.UTC(2026, 10, 23, 2, 0, 0));
  const nonce = '17953992000000042';

  it('signs METHOD\\nTIMESTAMP\\nNONCE\\nURI\\nPARAMS with sorted raw k=v parameters', () => {
    const headers = signZwdd({
      method: 'POST', path: '/message/workNotification', accessKey: 'zwdd-ak', secretKey: 'zwdd-test-secret', date, nonce,
      params: { tenantId: 196729, receiverIds: 'a1,a2', msg: '{"msgtype":"text","text":{"content":"请签收事件"}}', bizMsgId: 'm-1' },
      ip: '10.0.0.8', mac: '00:16:3e:00:00:01',
    });
    expect(headers).toEqual({
      'X-Hmac-Auth-Timestamp': '2026-11-23T10:00:00.000+08:00',
      'X-Hmac-Auth-Version': '1.0',
      'X-Hmac-Auth-Nonce': nonce,
      apiKey: 'zwdd-ak',
      'X-Hmac-Auth-Signature': 'iYgFGZzlLPiEGpcDENWw601oZ+FKNtPKElDmySmP2K8=',
      'X-Hmac-Auth-IP': '10.0.0.8',
      'X-Hmac-Auth-MAC': '00:16:3e:00:00:01',
    });
  });

  it('leaves the PARAMS line out (no trailing newline) when there are no parameters', () => {
    expect(zwddSigningString('get', 'T', 'N', '/u', '')).toBe('GET\nT\nN\n/u');
    const headers = signZwdd({ method: 'POST', path: '/rpc/oauth2/dingtalk_app_token.json', accessKey: 'zwdd-ak', secretKey: 'zwdd-test-secret', date, nonce });
    expect(headers['X-Hmac-Auth-Signature']).toBe('AiUF+hAJ99JfPB1dY8UsUjHAcIUZhYpjZFOu47Ustfw=');
  });

  it('signs the decoded values whatever the encoding on the wire', () => {
    const raw = 'bizMsgId=m-1&msg={"msgtype":"text","text":{"content":"请签收事件"}}&receiverIds=a1,a2&tenantId=196729';
    const encoded = 'tenantId=196729&receiverIds=a1%2Ca2&msg=%7B%22msgtype%22%3A%22text%22%2C%22text%22%3A%7B%22content%22%3A%22%E8%AF%B7%E7%AD%BE%E6%94%B6%E4%BA%8B%E4%BB%B6%22%7D%7D&bizMsgId=m-1';
    expect(zwddParamString(encoded)).toBe(raw);
    expect(zwddParamString({ b: ['2', '1'], a: '' })).toBe('a=&b=1&b=2');
  });

  it('writes the timestamp in Beijing time, also across midnight UTC, and the nonce as epoch ms + 4 digits', () => {
    expect(zwddTimestamp(new Date(Date.UTC(2026, 11, 31, 16, 30, 0, 7)))).toBe('2027-01-01T00:30:00.007+08:00');
    expect(zwddNonce(date, 42)).toBe(nonce);
    expect(zwddNonce(date)).toMatch(/^1795399200000\d{4}$/);
    // calls signed in the same millisecond get different nonces
    expect(new Set(Array.from({ length: 10_000 }, () => zwddNonce(date))).size).toBe(10_000);
  });
});
