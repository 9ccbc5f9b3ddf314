import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { v5 as uuidv5 } from 'uuid';
import type { WorkflowActor } from '#domain';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { AppConfig } from '../config/app-config.js';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';
import { EVENT_COLUMNS } from '../events/event.model.js';
import type { EventRow } from '../events/event.model.js';
import { EventsService } from '../events/events.service.js';
import { DEFAULT_12345_MAPPING, fromVisit12345, fromWorkOrder12345 } from '../gateway/hotline12345-mapping.js';
import type { Hotline12345Mapping, WorkOrder12345 } from '../gateway/hotline12345-mapping.js';
import { PiiCipher } from '../pii/pii-cipher.js';
import { maskName, maskPhone } from '../pii/personal-data.js';
import { Problem } from '../problem/problem.js';
import { SlaTimers } from '../sla/sla-timers.js';
import { countyCentreCode } from '../units/units.repository.js';

/**
 * The namespace of the work orders' event ids: event id = uuidv5(orderNo, HOTLINE_ORDER_NAMESPACE), so a work order
 * pushed twice (even at the same moment, to two API processes) is the same event id and the report path files it once.
 * Fixed for ever: changing it would make a re-pushed old order a second event.
 */
export const HOTLINE_ORDER_NAMESPACE = 'b3c1f6f2-8f0e-5d2a-9a51-12345c0a7e11';

/** The service account 12345 work orders are filed as (reporter of their events; it never logs in: disabled, no password). */
export const HOTLINE_SERVICE_USERNAME = 'svc.hotline12345';

/** Events filed from an order whose 诉求分类 names none of our categories land here (14 民生服务 · 咨询求助) for 受理 to reclassify. */
export const HOTLINE_FALLBACK_CATEGORY = '1408';

/** 回访 满意度 → the workflow's score (1–5; 1–2 reopens as 重办). A number 1–5 is taken as it is. */
export const VISIT_SCORES: Record<string, number> = { 满意: 5, 非常满意: 5, 基本满意: 3, 一般: 3, 不满意: 1, 非常不满意: 1 };

const DESCRIPTION_MAX = 2000;
const ADDRESS_MAX = 200;

export const hotlineEventId = (orderNo: string): string => uuidv5(orderNo, HOTLINE_ORDER_NAMESPACE);

export interface WorkOrderReceipt {
  success: true;
  orderNo: string;
  /** Our event code (事件编号), what the county quotes back to the province. */
  eventCode: string;
  eventId: string;
  /** true when this order had been received before (a repeated push): nothing new was written. */
  duplicate: boolean;
}

export interface VisitReceipt {
  success: true;
  orderNo: string;
  eventCode: string;
  score: number;
  /** true when the rating had already been applied (a repeated push): nothing new was written. */
  duplicate: boolean;
  /** The event's status after the rating (不满意 reopens it: 重办). */
  status: string;
}

/** A work order as a dispatcher sees it: the caller's contact masked. */
export interface HotlineOrderView {
  eventId: string;
  orderNo: string;
  appealType: string;
  channel: string | null;
  category: string | null;
  title: string;
  content: string;
  address: string | null;
  isUrgent: boolean;
  isRepeat: boolean;
  parentOrderNo: string | null;
  handleUnit: string | null;
  attachments: string[];
  callerName: string | null;
  callerPhone: string | null;
  signDueAt: string | null;
  handleDueAt: string | null;
  evaluateDueAt: string | null;
  receivedAt: string;
  visitRating: number | null;
  visitedAt: string | null;
}

export interface HotlineContact { callerName: string | null; callerPhone: string | null }


interface OrderRow {
  eventId: string; orderNo: string; appealType: string; callerNameEnc: Buffer | null; callerPhoneEnc: Buffer | null;
  signDueAt: Date | null; handleDueAt: Date | null; receivedAt: Date; fields: Record<string, unknown>; visitRating: number | null; visitedAt: Date | null;
}
const ORDER_COLUMNS = `event_id AS "eventId", order_no AS "orderNo", appeal_type AS "appealType", caller_name_enc AS "callerNameEnc",
  caller_phone_enc AS "callerPhoneEnc", sign_due_at AS "signDueAt", handle_due_at AS "handleDueAt", received_at AS "receivedAt",
  fields, visit_rating AS "visitRating", visited_at AS "visitedAt"`;

/**
 * The 12345 door (issue 10): a work order pushed down by the provincial hotline becomes an event (source `hotline12345`)
 * through the one intake (EventsService.report), with its own record in hotline_orders written in the same transaction;
 * the 回访 rating that comes down later is the workflow's `rate` on that event. The signature of the push is checked
 * by the caller (the API's province controller) before either method runs.
 *
 * Filed as a dedicated service account (HOTLINE_SERVICE_USERNAME, 县社会治理中心坐席 role at the county centre, disabled so
 * it can never log in), created on first use: the events it files are recognisably the hotline's (reporter), the
 * `rate` rule lets the reporter rate, and no person's account is made to act for the province.
 */
@Injectable()
export class HotlineService {
  private serviceUser: Promise<Actor> | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly db: DbService,
    private readonly events: EventsService,
    private readonly timers: SlaTimers,
    private readonly audit: AuditService,
    private readonly pii: PiiCipher,
  ) {}

  /** A pushed work order (form fields in the province's names) → an event; idempotent on the order number. */
  async receiveWorkOrder(raw: Record<string, unknown>, now = new Date(), mapping: Hotline12345Mapping = DEFAULT_12345_MAPPING): Promise<WorkOrderReceipt> {
    const mapped = fromWorkOrder12345(raw, mapping);
    if (!mapped.ok) throw Problem.badRequest(mapped.problems.map((p) => `${p.field}: ${p.message}`).join('; '), mapped.problems);
    const order = mapped.value;
    const f = mapping.workOrder;
    const problems: { field: string; message: string }[] = [];
    if (order.orderNo.length > 64 || !/^[\x21-\x7e]+$/.test(order.orderNo)) problems.push({ field: f.orderNo, message: 'must be 1–64 printable ASCII characters' });
    if ((order.appealType ?? '').length > 20) problems.push({ field: f.appealType, message: 'is longer than 20 characters' });
    if ((order.lng === undefined) !== (order.lat === undefined)) problems.push({ field: order.lng === undefined ? f.lng : f.lat, message: `${f.lng} and ${f.lat} must both be sent` });
    if (problems.length > 0) throw Problem.badRequest(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);

    const location = await this.locate(order, mapping);
    const categoryCode = await this.categoryOf(order.category);
    const actor = await this.serviceActor();
    const eventId = hotlineEventId(order.orderNo);
    const description = `【12345工单 ${order.orderNo}】${order.title}\n${order.content}`.slice(0, DESCRIPTION_MAX);
    const { citizenName, citizenPhone, ...rest } = order;
    const fields = JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
    const attach = async (sql: Sql, event: EventRow): Promise<void> => {
      await sql.query(
        `INSERT INTO hotline_orders (event_id, order_no, appeal_type, caller_name_enc, caller_phone_enc, sign_due_at, handle_due_at, received_at, fields)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [event.id, order.orderNo, order.appealType ?? '未分类',
          citizenName ? this.pii.encrypt('name', citizenName) : null,
          citizenPhone ? this.pii.encrypt('phone', citizenPhone) : null,
          order.signDeadline ?? null, order.handleDeadline ?? null, now, JSON.stringify(fields)]);
    };
    let result: Awaited<ReturnType<EventsService['report']>>;
    try {
      result = await this.events.report(actor, {
        id: eventId, categoryCode, description, location: { lng: location.lng, lat: location.lat, crs: 'wgs84' },
        ...(order.isUrgent ? { urgency: 'urgent' as const } : {}),
        ...(order.address ? { address: order.address.slice(0, ADDRESS_MAX) } : {}),
      }, { now, source: 'hotline12345', attach });
    } catch (err) {
      if (err instanceof Problem && err.getStatus() === 422 && err.detail.startsWith('location:')) {
        const where = location.fromRegion ? f.regionCode : `${f.lng}/${f.lat}`;
        throw Problem.invalidField(where, err.detail.replace(/^location: /, ''), 400);
      }
      throw err;
    }
    return { success: true, orderNo: order.orderNo, eventCode: result.event.code, eventId, duplicate: !result.created };
  }

  /** A pushed 回访 result → the rating on the order's event (the workflow's `rate`), applied once. */
  async receiveVisit(raw: Record<string, unknown>, now = new Date(), mapping: Hotline12345Mapping = DEFAULT_12345_MAPPING): Promise<VisitReceipt> {
    const mapped = fromVisit12345(raw, mapping);
    if (!mapped.ok) throw Problem.badRequest(mapped.problems.map((p) => `${p.field}: ${p.message}`).join('; '), mapped.problems);
    const visit = mapped.value;
    const text = visit.visitResult.trim();
    const score = VISIT_SCORES[text] ?? (/^[1-5]$/.test(text) ? Number(text) : undefined);
    if (score === undefined) {
      throw Problem.invalidField(mapping.visit.visitResult, `must be one of ${Object.keys(VISIT_SCORES).join('/')} or a score 1–5 (got "${text.slice(0, 20)}")`, 400);
    }
    const actor = await this.serviceActor();
    const wfActor: WorkflowActor = { id: actor.id, role: actor.role, unitCode: actor.unitCode };
    const outcome = await this.db.tx(async (sql) => {
      const [order] = await sql.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM hotline_orders WHERE order_no = $1 FOR UPDATE`, [visit.orderNo]);
      if (!order) throw Problem.notFound(`work order ${visit.orderNo.slice(0, 64)}`);
      const [row] = await sql.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events e WHERE e.id = $1`, [order.eventId]);
      // the same 回访 again is applied once; a later 回访 (after 不满意 reopened the case and it was closed again) is a new rating
      const later = visit.visitTime !== undefined && order.visitedAt !== null && visit.visitTime.getTime() > order.visitedAt.getTime();
      if (order.visitRating !== null && !(later && row!.status === 'closed' && row!.rating === null)) {
        return { duplicate: true as const, row: row!, score: order.visitRating };
      }
      const applied = await this.events.apply(sql, row!, { type: 'rate', score, ...(visit.visitContent ? { note: visit.visitContent.slice(0, 500) } : {}) }, wfActor, now);
      await sql.query(`UPDATE hotline_orders SET visit_rating = $2, visited_at = $3 WHERE event_id = $1`, [order.eventId, score, visit.visitTime ?? now]);
      return { duplicate: false as const, row: applied.row, score, applied };
    });
    if (!outcome.duplicate) this.timers.reschedule(outcome.row.id, outcome.applied.previousMark, outcome.applied.nextMark);
    return { success: true, orderNo: visit.orderNo, eventCode: outcome.row.code, score: outcome.score, duplicate: outcome.duplicate, status: outcome.row.status };
  }

  /** The order behind an event, contact masked (null when the event did not come from 12345). */
  async orderOf(eventId: string): Promise<HotlineOrderView | null> {
    const [o] = await this.db.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM hotline_orders WHERE event_id = $1`, [eventId]);
    if (!o) return null;
    const name = o.callerNameEnc ? this.pii.decrypt('name', o.callerNameEnc) : null;
    const phone = o.callerPhoneEnc ? this.pii.decrypt('phone', o.callerPhoneEnc) : null;
    const f = o.fields;
    const str = (k: string) => (typeof f[k] === 'string' ? f[k] as string : null);
    return {
      eventId: o.eventId, orderNo: o.orderNo, appealType: o.appealType, channel: str('channel'), category: str('category'),
      title: str('title') ?? '', content: str('content') ?? '', address: str('address'), isUrgent: f.isUrgent === true, isRepeat: f.isRepeat === true,
      parentOrderNo: str('parentOrderNo'), handleUnit: str('handleUnit'),
      attachments: Array.isArray(f.attachments) ? (f.attachments as unknown[]).map(String) : [],
      callerName: name === null ? null : maskName(name), callerPhone: phone === null ? null : maskPhone(phone),
      signDueAt: o.signDueAt?.toISOString() ?? null, handleDueAt: o.handleDueAt?.toISOString() ?? null,
      evaluateDueAt: str('evaluateDeadline'), receivedAt: o.receivedAt.toISOString(), visitRating: o.visitRating,
      visitedAt: o.visitedAt?.toISOString() ?? null,
    };
  }

  /** The caller's contact unmasked, for a dispatcher who must call back: every view is in the audit log with who and why. */
  async revealContact(actor: Actor, eventId: string, reason: string, ip: string | null = null): Promise<HotlineContact> {
    if (reason.trim().length < 2) throw Problem.invalidField('reason', 'a reason is required to see the caller\'s contact', 400);
    const [o] = await this.db.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM hotline_orders WHERE event_id = $1`, [eventId]);
    if (!o) throw Problem.notFound(`work order of event ${eventId}`);
    await this.audit.record({ actorId: actor.id, username: actor.username, action: 'hotline.contact.view', target: eventId, outcome: 'ok', ip,
      detail: { orderNo: o.orderNo, reason: reason.slice(0, 200) } });
    return {
      callerName: o.callerNameEnc ? this.pii.decrypt('name', o.callerNameEnc) : null,
      callerPhone: o.callerPhoneEnc ? this.pii.decrypt('phone', o.callerPhoneEnc) : null,
    };
  }

  /**
   * Where the order is: its coordinates (WGS84), or else a point inside the township, village or grid its regionCode
   * names (ST_PointOnSurface; routed like a report from there). A county-wide or foreign region code without
   * coordinates is refused: the event cannot be routed to a grid.
   */
  private async locate(order: WorkOrder12345, mapping: Hotline12345Mapping): Promise<{ lng: number; lat: number; fromRegion: boolean }> {
    if (order.lng !== undefined && order.lat !== undefined) return { lng: order.lng, lat: order.lat, fromRegion: false };
    const f = mapping.workOrder;
    const code = order.regionCode?.trim();
    if (!code) throw Problem.invalidField(`${f.lng}/${f.lat}`, `a location is required: ${f.lng} and ${f.lat} (WGS84), or a ${f.regionCode} of a township, village or grid of county ${this.config.COUNTY_CODE}`, 400);
    const county = this.config.COUNTY_CODE;
    const [p] = code.length >= 9 && code.startsWith(county)
      ? await this.db.query<{ lng: number; lat: number }>(
        `SELECT ST_X(p) AS lng, ST_Y(p) AS lat FROM (SELECT ST_PointOnSurface(geom) AS p FROM regions WHERE code = $1 AND geom IS NOT NULL) x`, [code])
      : [];
    if (!p) throw Problem.invalidField(f.regionCode, `${code.slice(0, 20)} is not a township, village or grid of county ${county}, and the order has no ${f.lng}/${f.lat}`, 400);
    return { lng: p.lng, lat: p.lat, fromRegion: true };
  }

  /**
   * Our category (小类) of the order's 诉求分类: a 4-digit code of ours, or the name of one of our categories as the
   * whole value or its last segment (`城乡建设/路灯` → 路灯 1302); otherwise HOTLINE_FALLBACK_CATEGORY (the order keeps
   * its own category in hotline_orders.fields for 受理 to reclassify).
   */
  private async categoryOf(category: string | undefined): Promise<string> {
    const whole = (category ?? '').trim();
    const last = whole.split(/[/／>＞|-]/).map((s) => s.trim()).filter(Boolean).pop() ?? '';
    const [c] = await this.db.query<{ code: string }>(
      `SELECT code FROM categories WHERE active AND is_event AND (code = $1::text OR name = $1::text OR name = $2::text OR code = $3::text)
        ORDER BY (code = $3) ASC, (code = $1 OR name = $1) DESC, sort, code LIMIT 1`, [whole, last, HOTLINE_FALLBACK_CATEGORY]);
    if (!c) throw new Problem(503, 'Service Unavailable', `no active event category ${HOTLINE_FALLBACK_CATEGORY} to file unclassified work orders under`);
    return c.code;
  }

  /** The service account, created on first use (idempotent: ON CONFLICT on the unique username). */
  private serviceActor(): Promise<Actor> {
    this.serviceUser ??= this.ensureServiceUser().catch((err: unknown) => { this.serviceUser = null; throw err; });
    return this.serviceUser;
  }

  private async ensureServiceUser(): Promise<Actor> {
    const county = this.config.COUNTY_CODE;
    const centre = countyCentreCode(county);
    await this.db.query(
      `INSERT INTO users (id, username, display_name, password_hash, role, unit_code, jurisdiction_code, disabled)
       SELECT $1::uuid, $2::text, '12345热线（系统）', '!', 'county_operator', (SELECT code FROM units WHERE code = $3::varchar), $4::varchar, true
        WHERE EXISTS (SELECT 1 FROM regions WHERE code = $4::varchar)
       ON CONFLICT (username) DO NOTHING`, [randomUUID(), HOTLINE_SERVICE_USERNAME, centre, county]);
    const [u] = await this.db.query<{ id: string; role: Actor['role']; unitCode: string | null; jurisdictionCode: string }>(
      `SELECT id, role, unit_code AS "unitCode", jurisdiction_code AS "jurisdictionCode" FROM users WHERE username = $1`, [HOTLINE_SERVICE_USERNAME]);
    if (!u) throw new Problem(503, 'Service Unavailable', `county ${county} is not in the regions table: cannot create the 12345 service account`);
    return { id: u.id, username: HOTLINE_SERVICE_USERNAME, role: u.role, unitCode: u.unitCode, jurisdictionCode: u.jurisdictionCode, sessionId: '', mustChangePassword: false };
  }
}
