/**
 * The 12345 work-order (工单) field mapping. No public Zhejiang 12345 interface spec exists (DOMAIN 4.4), so every
 * field name, path and time format here is configuration: DEFAULT_12345_MAPPING is DOMAIN 4.4's field set, and a
 * deployment overrides any part of it with GATEWAY_12345_MAPPING (JSON, merged over the default).
 */
export type Upward12345Action = 'sign' | 'reply' | 'return' | 'delay';

/** What the county sends up, in our names. `messageId` identifies the message (retries carry the same one). */
export interface Upward12345Messages {
  /** 签收 */
  sign: { messageId: string; orderNo: string; signTime: Date; handleUnit?: string };
  /** 回复 (办理结果反馈) */
  reply: { messageId: string; orderNo: string; replyContent: string; replyTime: Date; handleUnit?: string };
  /** 退单 with its reason */
  return: { messageId: string; orderNo: string; returnReason: string; returnTime: Date; handleUnit?: string };
  /** 延期申请 */
  delay: { messageId: string; orderNo: string; delayReason: string; delayDays: number; applyTime: Date; handleUnit?: string };
}

/** A work order as pushed down, in our names (DOMAIN 4.4). */
export interface WorkOrder12345 {
  orderNo: string;
  channel?: string;
  appealType?: string;
  category?: string;
  title: string;
  content: string;
  citizenName?: string;
  citizenPhone?: string;
  address?: string;
  lng?: number;
  lat?: number;
  regionCode?: string;
  isUrgent: boolean;
  handleUnit?: string;
  signDeadline?: Date;
  handleDeadline?: Date;
  evaluateDeadline?: Date;
  attachments: string[];
  isRepeat: boolean;
  parentOrderNo?: string;
}

/** The 回访 (callback visit) result pushed down after the resident was asked. */
export interface VisitResult12345 {
  orderNo: string;
  visitResult: string;
  visitTime?: Date;
  visitContent?: string;
}

export type TimeFormat12345 = 'datetime' | 'iso' | 'epoch-ms';

export interface Hotline12345Mapping {
  /** Path (under the 12345 base URL) and field names (ours → theirs) of each upward message. */
  upward: Record<Upward12345Action, { path: string; fields: Record<string, string> }>;
  /** Field names (ours → theirs) of a pushed work order and of a 回访 result. */
  workOrder: Record<keyof WorkOrder12345, string>;
  visit: Record<keyof VisitResult12345, string>;
  /** `datetime`: `2026-12-01 14:30:00` Beijing time (common in provincial systems); `iso`; `epoch-ms`. */
  timeFormat: TimeFormat12345;
}

const identity = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, k as string])) as Record<K, string>;
const UPWARD_PATH = '/restapi/prod/IC33000012345000000001/workorder';

export const DEFAULT_12345_MAPPING: Hotline12345Mapping = Object.freeze({
  upward: {
    sign: { path: `${UPWARD_PATH}/sign`, fields: identity(['messageId', 'orderNo', 'signTime', 'handleUnit']) },
    reply: { path: `${UPWARD_PATH}/reply`, fields: identity(['messageId', 'orderNo', 'replyContent', 'replyTime', 'handleUnit']) },
    return: { path: `${UPWARD_PATH}/return`, fields: identity(['messageId', 'orderNo', 'returnReason', 'returnTime', 'handleUnit']) },
    delay: { path: `${UPWARD_PATH}/delay`, fields: identity(['messageId', 'orderNo', 'delayReason', 'delayDays', 'applyTime', 'handleUnit']) },
  },
  workOrder: identity(['orderNo', 'channel', 'appealType', 'category', 'title', 'content', 'citizenName', 'citizenPhone', 'address',
    'lng', 'lat', 'regionCode', 'isUrgent', 'handleUnit', 'signDeadline', 'handleDeadline', 'evaluateDeadline', 'attachments',
    'isRepeat', 'parentOrderNo'] as const),
  visit: identity(['orderNo', 'visitResult', 'visitTime', 'visitContent'] as const),
  timeFormat: 'datetime',
});

/** Merges a JSON override over the default; throws with what is wrong. */
export function parse12345Mapping(json: string): Hotline12345Mapping {
  let o: unknown;
  try { o = JSON.parse(json); } catch { throw new Error('is not valid JSON'); }
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error('must be a JSON object');
  const over = o as Partial<Record<keyof Hotline12345Mapping, unknown>>;
  const d = DEFAULT_12345_MAPPING;
  const strings = (v: unknown, where: string): Record<string, string> => {
    if (v === undefined) return {};
    if (!v || typeof v !== 'object' || Object.values(v).some((x) => typeof x !== 'string' || x === '')) throw new Error(`${where} must map field names to non-empty strings`);
    return v as Record<string, string>;
  };
  const upward = { ...d.upward };
  const upOver = (over.upward ?? {}) as Record<string, { path?: unknown; fields?: unknown }>;
  for (const [action, spec] of Object.entries(upOver)) {
    if (!(action in d.upward)) throw new Error(`upward.${action} is not one of ${Object.keys(d.upward).join(', ')}`);
    const a = action as Upward12345Action;
    if (spec.path !== undefined && (typeof spec.path !== 'string' || !/^\/[^\s?#]*$/.test(spec.path))) throw new Error(`upward.${a}.path must be an absolute path`);
    upward[a] = { path: (spec.path as string | undefined) ?? d.upward[a].path, fields: { ...d.upward[a].fields, ...strings(spec.fields, `upward.${a}.fields`) } };
  }
  const timeFormat = over.timeFormat ?? d.timeFormat;
  if (!['datetime', 'iso', 'epoch-ms'].includes(timeFormat as string)) throw new Error('timeFormat must be datetime, iso or epoch-ms');
  return {
    upward,
    workOrder: { ...d.workOrder, ...strings(over.workOrder, 'workOrder') },
    visit: { ...d.visit, ...strings(over.visit, 'visit') },
    timeFormat: timeFormat as TimeFormat12345,
  };
}

export function formatTime12345(date: Date, format: TimeFormat12345): string | number {
  if (format === 'epoch-ms') return date.getTime();
  if (format === 'iso') return date.toISOString();
  return new Date(date.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/** Parses a time in any of the three formats (a `datetime` is Beijing time); undefined for empty, NaN date for garbage. */
export function parseTime12345(value: unknown): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' || /^\d{12,14}$/.test(String(value))) return new Date(Number(value));
  const s = String(value);
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  if (m) return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4] - 8, +m[5], +(m[6] ?? 0)));
  return new Date(s);
}

/** The body of an upward message in the province's names; undefined fields are left out. */
export function toUpward12345<A extends Upward12345Action>(action: A, message: Upward12345Messages[A], mapping: Hotline12345Mapping): Record<string, string | number> {
  const fields = mapping.upward[action].fields;
  const body: Record<string, string | number> = {};
  for (const [ours, value] of Object.entries(message)) {
    if (value === undefined || value === null) continue;
    const theirs = fields[ours] ?? ours;
    body[theirs] = value instanceof Date ? formatTime12345(value, mapping.timeFormat) : (value as string | number);
  }
  return body;
}

export type Mapped<T> = { ok: true; value: T } | { ok: false; problems: { field: string; message: string }[] };

const truthy = (v: unknown) => v === true || v === 1 || ['1', 'true', 'y', 'yes', '是'].includes(String(v).toLowerCase());

/**
 * A pushed work order (form fields or JSON, in the province's names) in our names, or the problems naming the
 * province's field: required orderNo, title, content; numbers, times and flags parsed; attachments a JSON array or a
 * comma-separated list.
 */
export function fromWorkOrder12345(raw: Record<string, unknown>, mapping: Hotline12345Mapping): Mapped<WorkOrder12345> {
  const f = mapping.workOrder;
  const problems: { field: string; message: string }[] = [];
  const str = (k: keyof WorkOrder12345): string | undefined => {
    const v = raw[f[k]];
    return v === undefined || v === null || v === '' ? undefined : String(v);
  };
  const required = (k: keyof WorkOrder12345) => {
    const v = str(k);
    if (v === undefined || v.trim() === '') problems.push({ field: f[k], message: 'is required' });
    return v ?? '';
  };
  const num = (k: 'lng' | 'lat', min: number, max: number) => {
    const v = str(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) { problems.push({ field: f[k], message: `must be a number between ${min} and ${max}` }); return undefined; }
    return n;
  };
  const time = (k: 'signDeadline' | 'handleDeadline' | 'evaluateDeadline') => {
    const d = parseTime12345(raw[f[k]]);
    if (d && Number.isNaN(d.getTime())) { problems.push({ field: f[k], message: 'is not a time' }); return undefined; }
    return d;
  };
  let attachments: string[] = [];
  const rawAttachments = raw[f.attachments];
  if (Array.isArray(rawAttachments)) attachments = rawAttachments.map(String);
  else if (typeof rawAttachments === 'string' && rawAttachments.trim() !== '') {
    const s = rawAttachments.trim();
    if (s.startsWith('[')) {
      try { attachments = (JSON.parse(s) as unknown[]).map(String); } catch { problems.push({ field: f.attachments, message: 'is not a JSON array' }); }
    } else attachments = s.split(',').map((x) => x.trim()).filter(Boolean);
  }
  const value: WorkOrder12345 = {
    orderNo: required('orderNo'), title: required('title'), content: required('content'),
    channel: str('channel'), appealType: str('appealType'), category: str('category'),
    citizenName: str('citizenName'), citizenPhone: str('citizenPhone'), address: str('address'),
    lng: num('lng', -180, 180), lat: num('lat', -90, 90), regionCode: str('regionCode'),
    isUrgent: truthy(raw[f.isUrgent]), handleUnit: str('handleUnit'),
    signDeadline: time('signDeadline'), handleDeadline: time('handleDeadline'), evaluateDeadline: time('evaluateDeadline'),
    attachments, isRepeat: truthy(raw[f.isRepeat]), parentOrderNo: str('parentOrderNo'),
  };
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
}

/** A pushed 回访 result in our names, or the problems. */
export function fromVisit12345(raw: Record<string, unknown>, mapping: Hotline12345Mapping): Mapped<VisitResult12345> {
  const f = mapping.visit;
  const problems: { field: string; message: string }[] = [];
  const orderNo = raw[f.orderNo];
  const visitResult = raw[f.visitResult];
  if (orderNo === undefined || String(orderNo).trim() === '') problems.push({ field: f.orderNo, message: 'is required' });
  if (visitResult === undefined || String(visitResult).trim() === '') problems.push({ field: f.visitResult, message: 'is required' });
  const visitTime = parseTime12345(raw[f.visitTime]);
  if (visitTime && Number.isNaN(visitTime.getTime())) problems.push({ field: f.visitTime, message: 'is not a time' });
  if (problems.length > 0) return { ok: false, problems };
  const content = raw[f.visitContent];
  return { ok: true, value: { orderNo: String(orderNo), visitResult: String(visitResult), visitTime, visitContent: content === undefined ? undefined : String(content) } };
}
