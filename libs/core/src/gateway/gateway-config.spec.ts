import { describe, expect, it } from '@jest/globals';
import { loadGatewayConfig } from './gateway-config.js';
import { DEFAULT_12345_MAPPING, formatTime12345, fromVisit12345, fromWorkOrder12345, parse12345Mapping, parseTime12345, toUpward12345 } from './hotline12345-mapping.js';

const irs = { GATEWAY_IRS_BASE_URL: 'https://bcdsg.zj.gov.cn:8443/', GATEWAY_IRS_ACCESS_KEY: 'BCDSGA_x', GATEWAY_IRS_SECRET_KEY: 'BCDSGS_9f8e7d6c5b4a' };

describe('loadGatewayConfig', () => {
  it('has every gateway off and no keys by default', () => {
    const c = loadGatewayConfig({});
    expect([c.zwdd, c.irs, c.hotline12345, c.province, c.inbound]).toEqual([null, null, null, null, null]);
    expect(c.retry).toEqual({ maxAttempts: 5, baseMs: 200, maxMs: 10_000 });
  });

  it('lets 12345 and the province platform fall back to the IRS gateway and keys', () => {
    const c = loadGatewayConfig({ ...irs, GATEWAY_12345_BASE_URL: 'https://hotline.example.gov.cn' });
    expect(c.irs).toMatchObject({ baseUrl: 'https://bcdsg.zj.gov.cn:8443', accessKey: 'BCDSGA_x', scheme: 'irs' });
    expect(c.hotline12345).toMatchObject({ baseUrl: 'https://hotline.example.gov.cn', accessKey: 'BCDSGA_x', mapping: DEFAULT_12345_MAPPING });
    expect(c.province).toMatchObject({ baseUrl: 'https://bcdsg.zj.gov.cn:8443', eventsPath: '/restapi/prod/IC33000014100000000001/event/report' });
  });

  it('names each bad variable: half a key set, a placeholder secret, a missing tenant, bad numbers, bad mapping JSON', () => {
    const attempt = (env: Record<string, string>) => { try { loadGatewayConfig(env); return ''; } catch (e) { return (e as Error).message; } };
    expect(attempt({ GATEWAY_IRS_BASE_URL: 'https://x.gov.cn' })).toMatch(/GATEWAY_IRS_ACCESS_KEY, GATEWAY_IRS_SECRET_KEY: must be set together/);
    expect(attempt({ ...irs, GATEWAY_IRS_SECRET_KEY: 'changeme' })).toMatch(/GATEWAY_IRS_SECRET_KEY: is a published default/);
    expect(attempt({ GATEWAY_ZWDD_BASE_URL: 'https://openplatform.dg-work.cn', GATEWAY_ZWDD_ACCESS_KEY: 'a', GATEWAY_ZWDD_SECRET_KEY: 's1x2y3z4' })).toMatch(/GATEWAY_ZWDD_TENANT_ID/);
    expect(attempt({ GATEWAY_TIMEOUT_MS: '10' })).toMatch(/GATEWAY_TIMEOUT_MS/);
    expect(attempt({ GATEWAY_BACKOFF_BASE_MS: '500', GATEWAY_BACKOFF_MAX_MS: '100' })).toMatch(/GATEWAY_BACKOFF_MAX_MS/);
    expect(attempt({ GATEWAY_INBOUND_ACCESS_KEY: 'a' })).toMatch(/GATEWAY_INBOUND_ACCESS_KEY, GATEWAY_INBOUND_SECRET_KEY: must be set together/);
    expect(attempt({ GATEWAY_12345_MAPPING: '{"upward":{"cancel":{}}}' })).toMatch(/GATEWAY_12345_MAPPING: upward.cancel is not one of/);
    expect(attempt({ GATEWAY_IRS_BASE_URL: 'ftp://x' , GATEWAY_IRS_ACCESS_KEY: 'a', GATEWAY_IRS_SECRET_KEY: 's1x2y3z4' })).toMatch(/GATEWAY_IRS_BASE_URL/);
  });
});

describe('12345 field mapping', () => {
  it('sends DOMAIN 4.4 names by default, times as Beijing datetime', () => {
    expect(toUpward12345('delay', { messageId: 'm1', orderNo: 'ZJ1', delayReason: '需协调多部门', delayDays: 5, applyTime: new Date('2026-12-01T06:30:00Z') }, DEFAULT_12345_MAPPING))
      .toEqual({ messageId: 'm1', orderNo: 'ZJ1', delayReason: '需协调多部门', delayDays: 5, applyTime: '2026-12-01 14:30:00' });
  });

  it('renames fields, paths and the time format from configuration, keeping the rest of the default', () => {
    const m = parse12345Mapping(JSON.stringify({ upward: { return: { path: '/api/gd/back', fields: { returnReason: 'thyy', orderNo: 'gdbh' } } }, timeFormat: 'epoch-ms', workOrder: { orderNo: 'gdbh' } }));
    expect(m.upward.return.path).toBe('/api/gd/back');
    expect(m.upward.sign).toEqual(DEFAULT_12345_MAPPING.upward.sign);
    expect(toUpward12345('return', { messageId: 'm2', orderNo: 'ZJ2', returnReason: '非本单位职责', returnTime: new Date(1_700_000_000_000) }, m))
      .toEqual({ messageId: 'm2', gdbh: 'ZJ2', thyy: '非本单位职责', returnTime: 1_700_000_000_000 });
    expect(fromWorkOrder12345({ gdbh: 'ZJ3', title: 't', content: 'c' }, m)).toMatchObject({ ok: true, value: { orderNo: 'ZJ3' } });
  });

  it('reads a pushed work order: types parsed, problems named by the province field', () => {
    const ok = fromWorkOrder12345({
      orderNo: 'ZJ12345-20261201-0001', title: '路灯不亮', content: '幸福路路灯连续三晚不亮', appealType: '求助', channel: '电话',
      citizenPhone: '13800000000', lng: '120.12', lat: '30.28', isUrgent: '1', handleDeadline: '2026-12-03 17:30:00',
      attachments: '["https://a/1.jpg","https://a/2.jpg"]', isRepeat: 'false',
    }, DEFAULT_12345_MAPPING);
    expect(ok).toMatchObject({ ok: true, value: { lng: 120.12, lat: 30.28, isUrgent: true, isRepeat: false, attachments: ['https://a/1.jpg', 'https://a/2.jpg'] } });
    expect(ok.ok && ok.value.handleDeadline?.toISOString()).toBe('2026-12-03T09:30:00.000Z');
    expect(fromWorkOrder12345({ title: '', content: 'c', lat: '99', signDeadline: 'soon' }, DEFAULT_12345_MAPPING)).toEqual({ ok: false, problems: [
      { field: 'orderNo', message: 'is required' }, { field: 'title', message: 'is required' },
      { field: 'lat', message: 'must be a number between -90 and 90' }, { field: 'signDeadline', message: 'is not a time' },
    ] });
    expect(fromVisit12345({ orderNo: 'ZJ1', visitResult: '满意', visitTime: '2026-12-05 10:00' }, DEFAULT_12345_MAPPING))
      .toMatchObject({ ok: true, value: { visitResult: '满意', visitTime: new Date('2026-12-05T02:00:00Z') } });
  });

  it('round-trips times in all three formats', () => {
    const t = new Date('2026-12-31T17:00:05Z');
    for (const f of ['datetime', 'iso', 'epoch-ms'] as const) expect(parseTime12345(formatTime12345(t, f))?.getTime()).toBe(t.getTime());
  });
});
