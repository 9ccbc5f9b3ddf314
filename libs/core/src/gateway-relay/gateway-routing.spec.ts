import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { deliveriesOf, emptyRoutingState, finishedBy, routeChange, unitsToldBy } from './gateway-routing.js';
import type { RoutedChange, RoutingState, UnitHandler } from './gateway-routing.js';

const base: RoutedChange = {
  actionId: '41', eventId: '0190a0b0-0000-7000-8000-000000000001', type: 'accept', fromStatus: 'reported', toStatus: 'accepted', toLevel: 'township',
  actorRole: 'township_dispatcher', actorUnitCode: '330523001-ZX', note: null,
  data: {}, at: new Date('2026-12-01T06:00:00Z'), version: 2, code: '33052320261201000001', categoryCode: '0901', description: '路边暴露垃圾',
  source: 'grid', regionCode: '330523001002001', lng: 119.68, lat: 30.63, ownerUnitCode: '330523001-JG', centreUnitCode: '330523001-ZX', orderNo: null,
  reportToProvince: false,
};
const kinds = (c: Partial<RoutedChange>) => deliveriesOf({ ...base, ...c }).map((d) => d.messageId);

const person = (unit: string, n: number, role = 'handler'): UnitHandler => ({ userId: `u-${unit}-${n}`, accountId: `acc-${unit}-${n}`, role });
/** A routing state where units A and B have two mapped handlers each, the centre one operator, and unit N nobody. */
const staffed = (): RoutingState => ({
  ...emptyRoutingState(),
  handlers: new Map([['A', [person('A', 1), person('A', 2)]], ['B', [person('B', 1), person('B', 2)]],
    ['330523001-ZX', [person('330523001-ZX', 1, 'township_dispatcher')]], ['330523-ZX', [person('330523-ZX', 1, 'county_operator')]]]),
});
let action = 100;
/** Routes one change of the test event through `state` (a fresh timeline row id each time). */
const step = (state: RoutingState, c: Partial<RoutedChange>) => routeChange({ ...base, actionId: String(++action), ...c }, state);
const openOf = (state: RoutingState) => (state.openTodos.get(base.eventId) ?? []).map((t) => t.userId).sort();

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

  it('reports the changes of an event of a category flagged for the province below county level, and follows a reported event', () => {
    expect(kinds({ type: 'report', fromStatus: null, toStatus: 'reported', version: 1, reportToProvince: true })).toEqual(['province_event:41']);
    const state = emptyRoutingState();
    expect(step(state, { reportToProvince: true }).deliveries.map((d) => d.kind)).toEqual(['province_event']);
    // the same batch, the flag read as cleared: the event the province has is still followed
    expect(step(state, { type: 'verify', fromStatus: 'handled', toStatus: 'closed' }).deliveries.map((d) => d.kind)).toEqual(['province_event']);
    expect(kinds({ type: 'verify', fromStatus: 'handled', toStatus: 'closed' })).toEqual([]);
  });

  it('tells each unit of a dispatch (lead and supporting), the owner of an urge, owner and centre of a supervise', () => {
    const s = staffed;
    const k = (c: Partial<RoutedChange>) => deliveriesOf({ ...base, ...c }, s()).filter((d) => d.kind === 'zwdd_notice').map((d) => d.messageId);
    expect(k({ type: 'dispatch', data: { unitCode: 'A', supportUnitCodes: ['B', 'A'] } })).toEqual(['zwdd_notice:41:A', 'zwdd_notice:41:B']);
    expect(k({ type: 'urge', ownerUnitCode: 'A' })).toEqual(['zwdd_notice:41:A']);
    expect(k({ type: 'supervise', ownerUnitCode: 'A' })).toEqual(['zwdd_notice:41:A', 'zwdd_notice:41:330523001-ZX']);
    expect(deliveriesOf({ ...base, type: 'dispatch', toLevel: 'county', data: { unitCode: 'A' } }, s()).map((d) => d.kind))
      .toEqual(['province_event', 'zwdd_notice', 'zwdd_todo', 'zwdd_todo']);
    // overdue: a red card tells the unit holding the case, the SLA's automatic escalation the next centre; a yellow card nobody
    expect(k({ type: 'warn', ownerUnitCode: 'A', data: { warning: 'red' } })).toEqual(['zwdd_notice:41:A']);
    expect(k({ type: 'warn', ownerUnitCode: 'A', data: { warning: 'yellow' } })).toEqual([]);
    expect(k({ type: 'escalate', actorRole: 'system', toLevel: 'county', data: { unitCode: '330523-ZX' } })).toEqual(['zwdd_notice:41:330523-ZX']);
    expect(k({ type: 'escalate', actorRole: 'township_dispatcher', toLevel: 'county', data: { unitCode: '330523-ZX' } })).toEqual([]);
    expect(unitsToldBy([{ ...base, type: 'dispatch', data: { unitCode: 'A', supportUnitCodes: ['B'] } }, { ...base, type: 'urge' }]))
      .toEqual(['A', 'B', '330523001-JG']);
  });

  it('addresses a notice to the handlers of the unit by 浙政钉 account, recording who; a unit with nobody mapped is skipped with the reason', () => {
    const out = deliveriesOf({ ...base, type: 'dispatch', data: { unitCode: 'A', supportUnitCodes: ['N'] } }, staffed());
    const notice = out.find((d) => d.messageId === 'zwdd_notice:41:A')!;
    expect(notice.skipped).toBeUndefined();
    expect(notice.payload).toMatchObject({ unitCode: 'A', receiverIds: ['acc-A-1', 'acc-A-2'],
      receivers: [{ userId: 'u-A-1', accountId: 'acc-A-1' }, { userId: 'u-A-2', accountId: 'acc-A-2' }] });
    const none = out.filter((d) => d.payload.unitCode === 'N');
    expect(none.map((d) => [d.messageId, d.payload.receiverIds ?? null])).toEqual([['zwdd_notice:41:N', []], ['zwdd_todo:41:N', null]]);
    for (const d of none) expect(d.skipped).toMatch(/unit N has no active .* 浙政钉 account/);
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

describe('浙政钉 to-dos (待办): opened on dispatch, overdue and 督办, finished when the unit signs or the case leaves it', () => {
  it('dispatch opens one per handler of the lead and supporting units; sign finishes the lead unit\'s; feedback the supporting unit\'s', () => {
    const state = staffed();
    const d = step(state, { type: 'dispatch', fromStatus: 'accepted', toStatus: 'dispatched', data: { unitCode: 'A', supportUnitCodes: ['B'] } });
    expect(d.opened.map((t) => [t.userId, t.reason])).toEqual([['u-A-1', 'dispatch'], ['u-A-2', 'dispatch'], ['u-B-1', 'assist'], ['u-B-2', 'assist']]);
    const todos = d.deliveries.filter((x) => x.kind === 'zwdd_todo');
    expect(todos.map((x) => x.messageId)).toEqual(d.opened.map((t) => t.bizTaskId));
    expect(todos[0]!.payload).toMatchObject({ accountId: 'acc-A-1', subject: expect.stringContaining('【待签收】'), url: `/township/?event=${base.eventId}` });
    const sign = step(state, { type: 'sign', fromStatus: 'dispatched', toStatus: 'handling', actorUnitCode: 'A', actorRole: 'handler' });
    expect(sign.deliveries.map((x) => [x.kind, x.payload.accountId])).toEqual([['zwdd_todo_done', 'acc-A-1'], ['zwdd_todo_done', 'acc-A-2']]);
    expect(sign.finished.map((f) => f.bizTaskId)).toEqual(d.opened.slice(0, 2).map((t) => t.bizTaskId));
    expect(openOf(state)).toEqual(['u-B-1', 'u-B-2']);
    // 督办 while handled: the lead's handlers get a new one, the supporting unit keeps its own (one open to-do per person and case)
    const sup = step(state, { type: 'supervise', fromStatus: 'handling', toStatus: 'handling', actorRole: 'county_leader', ownerUnitCode: 'A', centreUnitCode: '330523001-ZX' });
    expect(sup.opened.map((t) => [t.userId, t.reason])).toEqual([['u-A-1', 'supervise'], ['u-A-2', 'supervise'], ['u-330523001-ZX-1', 'supervise']]);
    // feedback: the case goes back to the centre for 核查: every handler unit's to-do finished, the centre's stays
    const fb = step(state, { type: 'feedback', fromStatus: 'handling', toStatus: 'handled', actorUnitCode: 'A' });
    expect(fb.finished).toHaveLength(4);
    expect(openOf(state)).toEqual(['u-330523001-ZX-1']);
    step(state, { type: 'verify', fromStatus: 'handled', toStatus: 'closed' });
    expect(openOf(state)).toEqual([]);
  });

  it('a return and a re-dispatch elsewhere finish the first unit\'s to-dos before the new unit\'s are opened', () => {
    const state = staffed();
    step(state, { type: 'dispatch', fromStatus: 'accepted', toStatus: 'dispatched', data: { unitCode: 'A' } });
    const ret = step(state, { type: 'return', fromStatus: 'dispatched', toStatus: 'accepted', actorUnitCode: 'A' });
    expect(ret.deliveries.map((x) => x.kind)).toEqual(['zwdd_todo_done', 'zwdd_todo_done']);
    const again = step(state, { type: 'dispatch', fromStatus: 'accepted', toStatus: 'dispatched', data: { unitCode: 'B' } });
    expect(again.finished).toEqual([]);
    expect(openOf(state)).toEqual(['u-B-1', 'u-B-2']);
    // a red card on the same case: the holders already have one, so nothing new is opened (the notice still goes)
    const red = step(state, { type: 'warn', fromStatus: 'dispatched', toStatus: 'dispatched', actorRole: 'system', ownerUnitCode: 'B', data: { warning: 'red' } });
    expect(red.deliveries.map((x) => x.kind)).toEqual(['zwdd_notice']);
    // merged into another case: every open to-do finished
    expect(step(state, { type: 'merge', fromStatus: 'dispatched', toStatus: 'merged' }).finished).toHaveLength(2);
  });

  it('never finishes a to-do that was not opened, never opens two for one person and case, and a finish always follows its create', () => {
    const types: Partial<RoutedChange>[] = [
      { type: 'dispatch', fromStatus: 'accepted', toStatus: 'dispatched', data: { unitCode: 'A', supportUnitCodes: ['B'] } },
      { type: 'dispatch', fromStatus: 'accepted', toStatus: 'dispatched', data: { unitCode: 'B' } },
      { type: 'sign', fromStatus: 'dispatched', toStatus: 'handling', actorUnitCode: 'A' },
      { type: 'sign', fromStatus: 'dispatched', toStatus: 'handling', actorUnitCode: 'B' },
      { type: 'return', fromStatus: 'handling', toStatus: 'accepted', actorUnitCode: 'A' },
      { type: 'feedback', fromStatus: 'handling', toStatus: 'handled', actorUnitCode: 'B' },
      { type: 'supervise', fromStatus: 'handling', toStatus: 'handling', ownerUnitCode: 'A' },
      { type: 'supervise', fromStatus: 'accepted', toStatus: 'accepted', ownerUnitCode: '330523001-ZX' },
      { type: 'warn', fromStatus: 'dispatched', toStatus: 'dispatched', ownerUnitCode: 'B', data: { warning: 'red' } },
      { type: 'escalate', fromStatus: 'accepted', toStatus: 'accepted', actorRole: 'system', data: { unitCode: '330523-ZX' } },
      { type: 'verify', fromStatus: 'handled', toStatus: 'closed' },
      { type: 'reject', fromStatus: 'accepted', toStatus: 'rejected' },
      { type: 'urge', fromStatus: 'handling', toStatus: 'handling', ownerUnitCode: 'B' },
    ];
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: types.length - 1 }), { maxLength: 30 }), (picks) => {
      const state = staffed();
      const created = new Set<string>();
      const finishedIds = new Set<string>();
      for (const i of picks) {
        const out = step(state, types[i]!);
        for (const d of out.deliveries) {
          if (d.kind === 'zwdd_todo' && !d.skipped) created.add(d.messageId);
          if (d.kind === 'zwdd_todo_done') {
            const id = String(d.payload.bizTaskId);
            expect(created.has(id)).toBe(true);
            expect(finishedIds.has(id)).toBe(false);
            finishedIds.add(id);
          }
        }
        const open = state.openTodos.get(base.eventId) ?? [];
        expect(new Set(open.map((t) => t.userId)).size).toBe(open.length);
        expect(open.every((t) => created.has(t.bizTaskId) && !finishedIds.has(t.bizTaskId))).toBe(true);
      }
      expect(created.size).toBe(finishedIds.size + (state.openTodos.get(base.eventId)?.length ?? 0));
    }));
  });

  it('finishedBy: the case ends, the unit signs, or it leaves the unit', () => {
    const open = [{ bizTaskId: 'zwdd_todo:1:A:u1', eventId: base.eventId, unitCode: 'A', userId: 'u1', accountId: 'a1' },
      { bizTaskId: 'zwdd_todo:1:ZX:u2', eventId: base.eventId, unitCode: base.centreUnitCode!, userId: 'u2', accountId: 'a2' }];
    const f = (c: Partial<RoutedChange>) => finishedBy({ ...base, ...c }, open).map((t) => t.userId);
    expect(f({ type: 'verify', fromStatus: 'handled', toStatus: 'closed' })).toEqual(['u1', 'u2']);
    expect(f({ type: 'sign', fromStatus: 'dispatched', toStatus: 'handling', actorUnitCode: 'A' })).toEqual(['u1']);
    expect(f({ type: 'return', fromStatus: 'handling', toStatus: 'accepted' })).toEqual(['u1']);
    expect(f({ type: 'escalate', fromStatus: 'accepted', toStatus: 'accepted', data: { unitCode: '330523-ZX' } })).toEqual(['u1', 'u2']);
    expect(f({ type: 'dispatch', fromStatus: 'accepted', toStatus: 'dispatched', data: { unitCode: 'A' } })).toEqual(['u2']);
    expect(f({ type: 'urge', fromStatus: 'handling', toStatus: 'handling' })).toEqual([]);
    expect(f({ type: 'suspend', fromStatus: 'handling', toStatus: 'suspended' })).toEqual([]);
  });
});
