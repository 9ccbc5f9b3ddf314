import type { GatewayDeliveryKind } from './gateway-delivery.entity.js';

/** One timeline row (流转记录) as the router reads it, with what it needs of its event. */
export interface RoutedChange {
  actionId: string;
  eventId: string;
  type: string;
  toStatus: string;
  toLevel: string;
  note: string | null;
  data: Record<string, unknown>;
  at: Date;
  /** The event's version after this row: each timeline row is one version (transition() adds one, a report is 1). */
  version: number;
  code: string;
  categoryCode: string;
  description: string;
  source: string;
  regionCode: string;
  lng: number;
  lat: number;
  ownerUnitCode: string | null;
  centreUnitCode: string | null;
  /** The 12345 work order number, for events of source hotline12345 (null when the order is not known). */
  orderNo: string | null;
}

export interface NewDelivery {
  eventId: string;
  actionId: string;
  kind: GatewayDeliveryKind;
  messageId: string;
  payload: Record<string, unknown>;
}

/** The upward 12345 message of a timeline type (签收, 回复, 退单, 延期申请). */
const HOTLINE_KIND: Record<string, GatewayDeliveryKind> = {
  sign: 'hotline_sign', feedback: 'hotline_reply', return: 'hotline_return', request_extension: 'hotline_delay',
};

/** Timeline types that tell a unit's handlers in 浙政钉 (工作通知): dispatch 派遣, urge 催办, supervise 督办. */
const NOTICE_TEXT: Record<string, string> = { dispatch: '新派遣事件', urge: '催办', supervise: '督办' };

/**
 * The gateway deliveries one change implies (pure). Message ids are `<kind>:<timeline row id>[:<unit>]`: the same change
 * always yields the same ids, so a redelivery is applied once at the province and a re-routed change is not written twice.
 *
 * - an event at county level (escalated, 上报到县) → its change reported to the provincial platform, `seq` = its version;
 *   every later change of it as well (the level never goes down). Categories flagged for the province: no such flag exists
 *   yet.
 * - dispatch / urge / supervise → a 浙政钉 work notice to each unit told (dispatch: the lead and supporting units; urge: the
 *   owner; supervise: the owner and the centre). Addressed by unit code: 浙政钉 account ids per user do not exist yet, the
 *   receivers are the unit code until they do (and to-dos per handler with them).
 * - events from the 12345 hotline with a known order: sign, feedback, return, request_extension → the upward 12345 message.
 */
export function deliveriesOf(c: RoutedChange): NewDelivery[] {
  const out: NewDelivery[] = [];
  const add = (kind: GatewayDeliveryKind, payload: Record<string, unknown>, suffix = '') => {
    const messageId = `${kind}:${c.actionId}${suffix}`;
    out.push({ eventId: c.eventId, actionId: c.actionId, kind, messageId, payload: { messageId, ...payload } });
  };
  if (c.toLevel === 'county') {
    add('province_event', {
      eventId: c.eventId, eventCode: c.code, seq: c.version, status: c.toStatus, level: c.toLevel, categoryCode: c.categoryCode,
      description: c.description, lng: c.lng, lat: c.lat, regionCode: c.regionCode, changedAt: c.at.toISOString(),
      ...(c.note ? { note: c.note } : {}),
    });
  }
  const notice = NOTICE_TEXT[c.type];
  if (notice) {
    const units = c.type === 'dispatch'
      ? [String(c.data.unitCode ?? ''), ...((c.data.supportUnitCodes as string[] | undefined) ?? [])]
      : c.type === 'urge' ? [c.ownerUnitCode] : [c.ownerUnitCode, c.centreUnitCode];
    for (const unit of [...new Set(units.filter((u): u is string => !!u))]) {
      add('zwdd_notice', { unitCode: unit, receiverIds: [unit], text: `【${notice}】事件 ${c.code}：${c.description.slice(0, 60)}` }, `:${unit}`);
    }
  }
  const hotline = HOTLINE_KIND[c.type];
  if (hotline && c.source === 'hotline12345' && c.orderNo) {
    const at = c.at.toISOString();
    const unit = c.ownerUnitCode ?? undefined;
    switch (hotline) {
      case 'hotline_sign': add(hotline, { orderNo: c.orderNo, signTime: at, handleUnit: unit }); break;
      case 'hotline_reply': add(hotline, { orderNo: c.orderNo, replyContent: c.note ?? '', replyTime: at, handleUnit: unit }); break;
      case 'hotline_return': add(hotline, { orderNo: c.orderNo, returnReason: c.note ?? String(c.data.reason ?? ''), returnTime: at, handleUnit: unit }); break;
      case 'hotline_delay': {
        const until = typeof c.data.until === 'string' ? Date.parse(c.data.until) : NaN;
        const days = Number.isFinite(until) ? Math.max(1, Math.ceil((until - c.at.getTime()) / 86_400_000)) : 1;
        add(hotline, { orderNo: c.orderNo, delayReason: String(c.data.reason ?? c.note ?? ''), delayDays: days, applyTime: at, handleUnit: unit });
        break;
      }
      default: break;
    }
  }
  return out;
}
