import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { AppConfig } from '../config/app-config.js';
import { AuditService } from '../audit/audit.service.js';
import type { Actor } from '../auth/actor.js';
import { DbService } from '../database/db.service.js';
import { EventsService } from '../events/events.service.js';
import { PiiCipher } from '../pii/pii-cipher.js';
import type { Sql } from '../database/db.service.js';
import { Problem } from '../problem/problem.js';
import { GEOREPORT_V2, Open311Error } from './open311.model.js';
import type { Open311Created, Open311Discovery, Open311Input, Open311Request, Open311RequestQuery, Open311ServiceView,
  Open311ServiceDefinition, Open311Token } from './open311.model.js';

/** Roles the report path accepts as reporter (EventsService.report): a key's service account must have one. */
export const OPEN311_REPORTER_ROLES = ['grid_worker', 'township_dispatcher', 'county_operator'] as const;

/** The SHA-256 of an API key: what open311_clients keeps (a random 256-bit key needs no slow hash). */
export const open311KeyHash = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/**
 * Personal-data fields beyond pii-cipher.ts's PiiField ('phone' | 'id_number'): the field name is the ciphertext's
 * associated data, so an e-mail ciphertext never decrypts as a name. (Requested: widen PiiField with 'email' | 'name' |
 * 'device_id'; until then the name is passed through this cast.)
 */

const DAY_MS = 86_400_000;
/** The spec's default and maximum span of GET requests, and its maximum answer size. */
const MAX_SPAN_DAYS = 90;
const MAX_REQUESTS = 1000;
const MAX_IDS = 100;

/** A w3 (ISO 8601 subset) date-time with a time zone, as the spec requires: 2010-01-01T00:00:00Z. */
const W3_DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;
const SERVICE_CODE = /^\d{4}$/;
const REQUEST_ID = /^[0-9A-Za-z-]{1,40}$/;
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;
const EMAIL = /^[^\s@<>]{1,64}@[^\s@<>]{1,189}\.[^\s@<>]{1,63}$/;
const PHONE = /^\+?[0-9][0-9 ()-]{2,31}$/;
/** A decimal degree as sent in a form (Number() alone would also take 0x1e, 1e1 or Infinity). */
const DEGREES = /^[-+]?\d{1,3}(?:\.\d{1,15})?$/;

/** Our statuses in GeoReport's two (closed: 办结, 作废, 合并), with a note saying where it stands. */
const STATUS_NOTES: Record<string, string> = {
  reported: '已上报，待受理', accepted: '已受理，待派遣', dispatched: '已派遣，待签收', handling: '处置中', handled: '已处置，待核查',
  suspended: '已挂起', closed: '已办结', rejected: '已作废（不予受理）', merged: '已合并办理',
};
const CLOSED = new Set(['closed', 'rejected', 'merged']);

interface RequestRow {
  code: string; status: string; serviceCode: string; serviceName: string; description: string; agency: string | null;
  createdAt: Date; updatedAt: Date; closedAt: Date | null; address: string | null; addressId: string | null; lng: number; lat: number;
  mediaUrl: string | null; mergedIntoCode: string | null;
}

interface ClientRow { id: string; name: string; revoked: boolean; serviceUserId: string }

function w3Instant(field: string, value: string): Date {
  const m = W3_DATETIME.exec(value);
  const at = m ? new Date(value) : null;
  if (!m || !at || Number.isNaN(at.getTime())) {
    throw new Open311Error(400, `${field} must be a w3 date-time with a time zone, e.g. 2010-01-01T00:00:00Z (got "${value.slice(0, 40)}")`);
  }
  const [y, mo, d, h, mi, s, oh, om] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0', m[7] ?? '0', m[8] ?? '0'].map(Number) as number[];
  const monthDays = new Date(Date.UTC(y!, mo!, 0)).getUTCDate();
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > monthDays || h! > 23 || mi! > 59 || s! > 59 || oh! > 23 || om! > 59) {
    throw new Open311Error(400, `${field} is not a real date-time: ${value.slice(0, 40)}`);
  }
  return at;
}

/** A comma-delimited list parameter: trimmed, empty items dropped. */
const listOf = (value: string | undefined) => (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
/** The spec's "optional": an empty parameter is the same as an absent one. */
const given = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value.trim());

/**
 * Open311 GeoReport v2 door (issue 10): the active event categories as services, service requests filed through the one
 * report path (EventsService.report, source `open311`) as the service account of the caller's API key, and the requests
 * filed this way readable by anyone — public fields only. The requester's contact is kept encrypted and never returned.
 */
@Injectable()
export class Open311Service {
  constructor(
    private readonly config: AppConfig,
    private readonly db: DbService,
    private readonly events: EventsService,
    private readonly audit: AuditService,
    private readonly pii: PiiCipher,
  ) {}

  /** The one jurisdiction this endpoint serves is the county (jurisdiction_id optional, as the spec allows). */
  checkJurisdiction(jurisdictionId: string | undefined): void {
    const id = given(jurisdictionId);
    if (id !== undefined && id !== this.config.COUNTY_CODE) {
      throw new Open311Error(404, `jurisdiction_id ${id.slice(0, 40)} not found: this endpoint serves ${this.config.COUNTY_CODE}`);
    }
  }

  /** Service discovery: one production endpoint, JSON and XML; the changeset follows the reference data (categories). */
  async discovery(endpointUrl: string): Promise<Open311Discovery> {
    const [v] = await this.db.query<{ version: string; county: string | null }>(
      `SELECT (SELECT version::text FROM settings_versions WHERE name = 'reference') AS version,
              (SELECT name FROM regions WHERE code = $1 AND level = 'county' LIMIT 1) AS county`, [this.config.COUNTY_CODE]);
    const changeset = `reference-${(v?.version ?? '0').padStart(12, '0')}`;
    return {
      changeset,
      contact: `${v?.county ?? this.config.COUNTY_CODE}社会治理中心（基层治理四平台）`,
      key_service: 'API 密钥（api_key）由系统管理员签发：管理控制台 / POST /api/v1/admin/open311-keys',
      endpoints: [{ specification: GEOREPORT_V2, url: endpointUrl, changeset, type: 'production', formats: ['text/xml', 'application/json'] }],
    };
  }

  /** Services: the active event categories (小类), grouped by their 大类. */
  async services(): Promise<Open311ServiceView[]> {
    const rows = await this.db.query<{ code: string; name: string; majorName: string; countyDepartment: string | null }>(
      `SELECT code, name, major_name AS "majorName", county_department AS "countyDepartment"
         FROM categories WHERE active AND is_event ORDER BY sort, code`);
    return rows.map((c) => ({ service_code: c.code, service_name: c.name, description: `${c.majorName} · ${c.name}`, metadata: false,
      type: 'realtime', keywords: null, group: c.majorName }));
  }

  /** A service definition: no extra attributes for any category (metadata is false), but the code must exist. */
  async serviceDefinition(code: string): Promise<Open311ServiceDefinition> {
    await this.requireService(code);
    return { service_code: code, attributes: [] };
  }

  private async requireService(code: string): Promise<{ name: string }> {
    if (!SERVICE_CODE.test(code)) throw new Open311Error(404, `service_code ${code.slice(0, 40)} not found`);
    const [c] = await this.db.query<{ name: string }>(`SELECT name FROM categories WHERE code = $1 AND active AND is_event`, [code]);
    if (!c) throw new Open311Error(404, `service_code ${code} not found`);
    return c;
  }

  /** POST requests: checks the key, then every field (all problems at once), then files the report. */
  async create(input: Open311Input, ip: string | null, now = new Date()): Promise<Open311Created> {
    const client = await this.authenticate(input.api_key, ip);
    const actor = await this.serviceActor(client);

    const problems: string[] = [];
    const serviceCode = given(input.service_code);
    if (serviceCode === undefined) problems.push('service_code is required');
    const latText = given(input.lat);
    const longText = given(input.long);
    const lat = latText === undefined || !DEGREES.test(latText) ? Number.NaN : Number(latText);
    const long = longText === undefined || !DEGREES.test(longText) ? Number.NaN : Number(longText);
    const addressString = given(input.address_string);
    const addressId = given(input.address_id);
    if (latText === undefined && longText === undefined) {
      problems.push(addressString !== undefined || addressId !== undefined
        ? 'lat and long are required: this jurisdiction locates a request by its coordinates (WGS84) and cannot geocode address_string or address_id'
        : 'a location is required: lat and long (WGS84)');
    } else if (latText === undefined || longText === undefined) {
      problems.push('lat and long must both be sent');
    } else {
      if (!Number.isFinite(lat) || lat < -90 || lat > 90) problems.push('lat must be a decimal number between -90 and 90 (WGS84)');
      if (!Number.isFinite(long) || long < -180 || long > 180) problems.push('long must be a decimal number between -180 and 180 (WGS84)');
    }
    const text = (field: string, max: number, pattern?: RegExp): string | undefined => {
      const v = given(input[field]);
      if (v === undefined) return undefined;
      if (v.length > max) problems.push(`${field} is longer than ${max} characters`);
      else if (pattern && !pattern.test(v)) problems.push(`${field} is not well-formed`);
      return v;
    };
    const description = text('description', 4000);
    if (description !== undefined && /<\/?[a-z][^>]*>/i.test(description)) problems.push('description must not contain HTML');
    text('address_string', 200);
    text('address_id', 100);
    const mediaUrl = text('media_url', 2000);
    if (mediaUrl !== undefined && !isHttpUrl(mediaUrl)) problems.push('media_url must be an absolute http(s) URL');
    const email = text('email', 254, EMAIL);
    const phone = text('phone', 32, PHONE);
    const firstName = text('first_name', 100);
    const lastName = text('last_name', 100);
    const deviceId = text('device_id', 200);
    text('account_id', 100);
    if (problems.length > 0) throw new Open311Error(400, problems);
    const service = await this.requireService(serviceCode!);

    const eventId = uuidv7();
    const token = randomBytes(16).toString('base64url');
    const name = [firstName, lastName].filter((s) => s !== undefined).join(' ');
    // the request's own record (the requester's contact, encrypted) is written in the transaction of the event: both or neither
    const attach = async (sql: Sql): Promise<void> => {
      await sql.query(
        `INSERT INTO open311_requests (event_id, client_id, token, media_url, address_id, email_enc, phone_enc, name_enc, device_id_enc)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [eventId, client.id, token, mediaUrl ?? null, addressId ?? null,
          email !== undefined ? this.pii.encrypt('email', email) : null,
          phone !== undefined ? this.pii.encrypt('phone', phone) : null,
          name !== '' ? this.pii.encrypt('name', name) : null,
          deviceId !== undefined ? this.pii.encrypt('device_id', deviceId) : null]);
    };
    let code: string;
    try {
      const { event } = await this.events.report(actor, {
        id: eventId, categoryCode: serviceCode!, description: description ?? service.name,
        location: { lng: long, lat, crs: 'wgs84' }, ...(addressString !== undefined ? { address: addressString } : {}),
      }, { now, source: 'open311', attach });
      code = event.code;
    } catch (err) {
      throw this.refusal(err);
    }
    await this.db.query(`UPDATE open311_clients SET last_used_at = $2 WHERE id = $1`, [client.id, now]);
    return { service_request_id: code, token, service_notice: '已受理上报，将按时限流转处置', account_id: null };
  }

  /** The report path's refusals in GeoReport terms (its 422s name a field: the point outside the county …). */
  private refusal(err: unknown): unknown {
    if (!(err instanceof Problem)) return err;
    const status = err.getStatus();
    const detail = err.detail.replace(/^location: /, 'lat/long: ').replace(/^categoryCode: /, 'service_code: ');
    if (status === 403) return new Open311Error(403, `the API key's service account cannot file reports: ${detail}`);
    if (status === 404) return new Open311Error(404, detail);
    return new Open311Error(400, detail);
  }

  private async authenticate(apiKey: string | undefined, ip: string | null): Promise<ClientRow> {
    const key = given(apiKey);
    const deny = async (reason: string, clientId: string | null = null): Promise<never> => {
      await this.audit.record({ action: 'open311.request', target: clientId, outcome: 'denied', ip, detail: { reason } });
      throw new Open311Error(403, reason);
    };
    if (key === undefined) return deny('api_key is required to create a service request');
    const [client] = await this.db.query<ClientRow>(
      `SELECT id, name, revoked_at IS NOT NULL AS revoked, service_user_id AS "serviceUserId" FROM open311_clients WHERE key_hash = $1`,
      [open311KeyHash(key)]);
    if (!client) return deny('invalid api_key received -- cannot proceed with create_request');
    if (client.revoked) return deny('api_key has been revoked -- cannot proceed with create_request', client.id);
    return client;
  }

  /** The service account a key files as, as the report path's actor (no session: it never logs in). */
  private async serviceActor(client: ClientRow): Promise<Actor> {
    const [u] = await this.db.query<{ id: string; username: string; role: Actor['role']; unitCode: string | null; jurisdictionCode: string; disabled: boolean }>(
      `SELECT id, username, role, unit_code AS "unitCode", jurisdiction_code AS "jurisdictionCode", disabled FROM users WHERE id = $1`,
      [client.serviceUserId]);
    if (!u || u.disabled || !(OPEN311_REPORTER_ROLES as readonly string[]).includes(u.role)) {
      throw new Open311Error(403, 'the service account of this api_key is disabled or may not report: ask the administrator for a new key');
    }
    return { id: u.id, username: u.username, role: u.role, unitCode: u.unitCode, jurisdictionCode: u.jurisdictionCode, sessionId: '',
      mustChangePassword: false };
  }

  /** GET requests: by ids (which override every other filter), or by service codes, status and a span of at most 90 days. */
  async requests(q: Open311RequestQuery, now = new Date()): Promise<Open311Request[]> {
    const ids = listOf(q.service_request_id);
    if (ids.length > 0) {
      if (ids.length > MAX_IDS) throw new Open311Error(400, `service_request_id lists more than ${MAX_IDS} ids`);
      const bad = ids.find((id) => !REQUEST_ID.test(id));
      if (bad !== undefined) throw new Open311Error(400, `service_request_id ${bad.slice(0, 40)} is not a service request id`);
      return (await this.select(`e.code = ANY($1::text[])`, [ids], MAX_IDS)).map(toRequest);
    }
    const problems: string[] = [];
    const codes = listOf(q.service_code);
    const badCode = codes.find((c) => !SERVICE_CODE.test(c));
    if (badCode !== undefined) problems.push(`service_code ${badCode.slice(0, 40)} is not a service code (4 digits)`);
    const statuses = listOf(q.status);
    const badStatus = statuses.find((s) => s !== 'open' && s !== 'closed');
    if (badStatus !== undefined) problems.push(`status must be open or closed, comma delimited (got "${badStatus.slice(0, 40)}")`);
    let start: Date | undefined;
    let end: Date | undefined;
    const startText = given(q.start_date);
    const endText = given(q.end_date);
    try { if (startText !== undefined) start = w3Instant('start_date', startText); } catch (e) { problems.push((e as Error).message); }
    try { if (endText !== undefined) end = w3Instant('end_date', endText); } catch (e) { problems.push((e as Error).message); }
    if (problems.length > 0) throw new Open311Error(400, problems);
    if (start && end) {
      if (start > end) throw new Open311Error(400, 'start_date is after end_date');
      if (end.getTime() - start.getTime() > MAX_SPAN_DAYS * DAY_MS) throw new Open311Error(400, `start_date to end_date spans more than ${MAX_SPAN_DAYS} days`);
    }
    const to = end ?? (start ? new Date(start.getTime() + MAX_SPAN_DAYS * DAY_MS) : now);
    const from = start ?? new Date(to.getTime() - MAX_SPAN_DAYS * DAY_MS);
    const where = [`e.created_at >= $1`, `e.created_at <= $2`];
    const params: unknown[] = [from, to];
    if (codes.length > 0) { params.push(codes); where.push(`e.category_code = ANY($${params.length}::text[])`); }
    if (statuses.length === 1) where.push(statuses[0] === 'closed' ? `e.status IN ('closed','rejected','merged')` : `e.status NOT IN ('closed','rejected','merged')`);
    return (await this.select(where.join(' AND '), params, MAX_REQUESTS)).map(toRequest);
  }

  /** GET a request by its id (the event code). */
  async request(id: string): Promise<Open311Request[]> {
    if (!REQUEST_ID.test(id)) throw new Open311Error(404, `service_request_id ${id.slice(0, 40)} not found`);
    const rows = await this.select(`e.code = $1`, [id], 1);
    if (rows.length === 0) throw new Open311Error(404, `service_request_id ${id} not found`);
    return rows.map(toRequest);
  }

  /** GET service_request_id from a token. */
  async token(token: string): Promise<Open311Token[]> {
    const rows = TOKEN.test(token)
      ? await this.db.query<{ code: string }>(`SELECT e.code FROM open311_requests r JOIN events e ON e.id = r.event_id WHERE r.token = $1`, [token])
      : [];
    if (rows.length === 0) throw new Open311Error(404, `token ${token.slice(0, 64)} not found`);
    return [{ service_request_id: rows[0]!.code, token }];
  }

  /** Requests filed through Open311 only: the county's other events (grid and staff reports) are not public. */
  private select(where: string, params: unknown[], limit: number): Promise<RequestRow[]> {
    return this.db.query<RequestRow>(
      `SELECT e.code, e.status, e.category_code AS "serviceCode", c.name AS "serviceName", e.description, u.name AS agency,
              e.created_at AS "createdAt", e.updated_at AS "updatedAt", e.closed_at AS "closedAt", e.address, r.address_id AS "addressId",
              ST_X(e.location) AS lng, ST_Y(e.location) AS lat, r.media_url AS "mediaUrl", m.code AS "mergedIntoCode"
         FROM open311_requests r
         JOIN events e ON e.id = r.event_id
         JOIN categories c ON c.code = e.category_code
         LEFT JOIN units u ON u.code = coalesce(e.handler_unit_code, e.owner_unit_code)
         LEFT JOIN events m ON m.id = e.merged_into_id
        WHERE ${where}
        ORDER BY e.created_at DESC, e.id DESC LIMIT ${limit}`, params);
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

function toRequest(r: RequestRow): Open311Request {
  const closed = CLOSED.has(r.status);
  const note = r.status === 'merged' && r.mergedIntoCode ? `${STATUS_NOTES.merged}：并入 ${r.mergedIntoCode}` : STATUS_NOTES[r.status] ?? null;
  return {
    service_request_id: r.code,
    status: closed ? 'closed' : 'open',
    status_notes: note,
    service_name: r.serviceName,
    service_code: r.serviceCode,
    description: r.description,
    agency_responsible: r.agency,
    service_notice: null,
    requested_datetime: r.createdAt.toISOString(),
    // for a closed request: when it was closed (the spec's rule), else the last change
    updated_datetime: (closed && r.closedAt ? r.closedAt : r.updatedAt).toISOString(),
    expected_datetime: null,
    address: r.address,
    address_id: r.addressId,
    zipcode: null,
    lat: Number(r.lat),
    long: Number(r.lng),
    media_url: r.mediaUrl,
  };
}
