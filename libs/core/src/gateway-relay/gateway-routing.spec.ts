import { describe, expect, it } from '@jest/globals';
import { deliveriesOf } from './gateway-routing.js';
import type { RoutedChange } from './gateway-routing.js';

const base: RoutedChange = {
  actionId: '41', eventId: '0190a0b0-0000-7000-8000-000000000001', type: 'accept', toStatus: 'accepted', toLevel: 'township', note: null,
  data: {}, at: new Date('2026-12-01T06:00:00Z'), version: 2, code: '33052320261201000001', categoryCode: '0901', description: '路边暴露垃圾',
  source: 'grid', regionCode: '330523001002001', lng: 119.68, lat: 30.63, ownerUnitCode: '330523001-JG', centreUnitCode: '330523001-ZX', orderNo: null,
};
const kinds = (c: Partial<RoutedChange>) => deliveriesOf({ ...base, ...c }).map((d) => d.messageId);

describe('deliveriesOf (what a change sends to the provincial gateways)', () => {
  it('sends nothing for a change below county level that tells no unit', () => {
    expect(kinds({})).toEqual([]);
  });

  it('reports every change of a county-level event to the province, seq = the version, with a message id of the timeline row', () => {
    const [d] = deliveriesOf({ ...base, type: 'escalate', toLevel: 'county', version: 3, note: '需县级部门' });
    expect(d).toMatchObject({ kind: 'province_event', messageId: 'province_event:41', actionId: '41' });
    expect(d!.payload).toMatchObject({ messageId: 'province_event:41', eventId: base.eventId, seq: 3, status: 'accepted', level: 'county',
      changedAt: '2026-12-01T06:00:00.000Z', note: '需县级部门' });
    expect(kinds({ type: 'verify', toStatus: 'closed', toLevel: 'county' })).toEqual(['province_event:41']);
  });

  it('tells each unit of a dispatch (lead and supporting), the owner of an urge, owner and centre of a supervise', () => {
    expect(kinds({ type: 'dispatch', data: { unitCode: 'A', supportUnitCodes: ['B', 'A'] } })).toEqual(['zwdd_notice:41:A', 'zwdd_notice:41:B']);
    expect(kinds({ type: 'urge' })).toEqual(['zwdd_notice:41:330523001-JG']);
    expect(kinds({ type: 'supervise' })).toEqual(['zwdd_notice:41:330523001-JG', 'zwdd_notice:41:330523001-ZX']);
    expect(kinds({ type: 'dispatch', toLevel: 'county', data: { unitCode: 'A' } })).toEqual(['province_event:41', 'zwdd_notice:41:A']);
  });

  it('sends 12345 sign / reply / return / delay for a hotline event with a known order only', () => {
    const hot = { source: 'hotline12345', orderNo: 'GD2026120100001' };
    expect(kinds({ ...hot, type: 'sign' })).toEqual(['hotline_sign:41']);
    expect(kinds({ ...hot, type: 'feedback', note: '已处置' })).toEqual(['hotline_reply:41']);
    expect(kinds({ ...hot, type: 'return', note: '非本单位职责' })).toEqual(['hotline_return:41']);
    const [delay] = deliveriesOf({ ...base, ...hot, type: 'request_extension', data: { until: '2026-12-04T05:00:00Z', reason: '需协调' } });
    expect(delay!.payload).toMatchObject({ orderNo: hot.orderNo, delayReason: '需协调', delayDays: 3 });
    expect(kinds({ type: 'sign' })).toEqual([]);
    expect(kinds({ source: 'hotline12345', type: 'sign' })).toEqual([]);
  });
});
