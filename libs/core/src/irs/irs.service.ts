import { Inject, Injectable } from '@nestjs/common';
import type { OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Role } from '#domain';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { AppConfig } from '../config/app-config.js';
import { EventsRepository } from '../events/events.repository.js';
import { IrsClient } from '../gateway/gateway-clients.js';
import { GatewayHttp } from '../gateway/gateway-http.js';
import type { GatewayFailure, GatewayResult } from '../gateway/gateway-retry.js';
import { PiiCipher } from '../pii/pii-cipher.js';
import { Problem } from '../problem/problem.js';
import { REDIS } from '../redis/redis.module.js';
import { normalizeIdNumber } from '../pii/personal-data.js';
import { creditCodeProblem, lookupIdNumberProblem, normalizeCreditCode } from './irs-codes.js';
import type { IrsSettings } from './irs-config.js';
import { birthYearOf, cutAddress, genderOf, maskedIdNumber, maskedName, maskedPhone } from './irs-masking.js';

/** The IRS settings (gateway + lookup limits), read once when the module starts. */
export const IRS_SETTINGS = Symbol('IRS_SETTINGS');

/**
 * Who may look people and enterprises up: the intake and dispatch desks — 乡镇调度员 (the command room: its head and
 * deputy work under the same role) and 县社会治理中心坐席 (DOMAIN 5.1) — the same desks that may see a 12345 caller's
 * contact. Grid workers, handlers, leaders (read-only dashboards) and the administrator may not.
 */
export const IRS_LOOKUP_ROLES: ReadonlySet<Role> = new Set<Role>(['township_dispatcher', 'county_operator']);

/** A reason is a sentence, not a keystroke: at least this many characters once trimmed, at most REASON_MAX. */
export const REASON_MIN = 4;
export const REASON_MAX = 200;

export type IrsLookupKind = 'person' | 'enterprise';

/** A person as a dispatcher sees them: masked (DOMAIN 5.2). */
export interface IrsPersonView {
  name: string | null;
  idNumber: string | null;
  gender: '男' | '女' | null;
  birthYear: number | null;
  phone: string | null;
  address: string | null;
}

/** An enterprise: its name, code, status and dates are public registry data; the legal representative is masked. */
export interface IrsEnterpriseView {
  name: string | null;
  creditCode: string;
  legalPerson: string | null;
  address: string | null;
  status: string | null;
  establishedOn: string | null;
}

interface LookupAnswer { found: boolean; subject: string; eventId: string | null; lookedUpAt: string }
export interface IrsPersonLookup extends LookupAnswer { person: IrsPersonView | null }
export interface IrsEnterpriseLookup extends LookupAnswer { enterprise: IrsEnterpriseView | null }

export interface LookupRequest { reason: string; eventId?: string }

/** How a lookup ended, as the audit log says it. */
type Result = 'found' | 'not_found' | 'gateway_error' | 'not_configured' | 'rate_limited' | 'limit_unavailable';

const day = (ms: number) => Math.floor((ms + 8 * 3600_000) / 86_400_000); // Asia/Shanghai, UTC+8 all year
const codePoints = (s: string) => [...s].length;

/**
 * 信息核查 (issue 10, "data on demand"): a dispatcher looks a person up by 身份证号 or an enterprise by 统一社会信用代码
 * through the IRS data-sharing gateway. The answer is masked before it leaves this service and the raw record is
 * neither kept nor logged. Every lookup that passed the permission and input checks — found, not found, refused by
 * the rate limit, gateway failed or not configured — is one audit_log row: who, the kind, the subject masked plus its
 * blind index (HMAC under the personal-data key: "every lookup of this person" can be found without the ID number
 * being stored), the reason, the event if any, and the outcome. A lookup is a read: that row is the only write.
 */
@Injectable()
export class IrsService implements OnModuleDestroy {
  private readonly client: IrsClient | null;
  private readonly http: GatewayHttp | null;

  constructor(
    @Inject(IRS_SETTINGS) private readonly settings: IrsSettings,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly events: EventsRepository,
    private readonly pii: PiiCipher,
  ) {
    const g = settings.gateway;
    const retry = { ...g.retry, maxAttempts: Math.min(g.retry.maxAttempts, settings.lookups.IRS_LOOKUP_ATTEMPTS), maxMs: Math.min(g.retry.maxMs, 2000) };
    this.http = g.irs ? new GatewayHttp(g.irs, { timeoutMs: g.timeoutMs, retry, connections: 8 }) : null;
    this.client = g.irs ? new IrsClient(this.http, { person: g.irs.personPath, enterprise: g.irs.enterprisePath }) : null;
  }

  async onModuleDestroy(): Promise<void> {
    await this.http?.close();
  }

  get configured(): boolean {
    return this.client !== null;
  }

  /** A person by 身份证号. */
  async lookupPerson(actor: Actor, req: LookupRequest & { idNumber: string }, ip: string | null = null, now = new Date()): Promise<IrsPersonLookup> {
    this.requireRole(actor);
    const idNumber = normalizeIdNumber(String(req.idNumber ?? ''));
    const problem = lookupIdNumberProblem(idNumber, now);
    if (problem) throw Problem.invalidField('idNumber', problem, 400);
    const subject = maskedIdNumber(idNumber)!;
    const index = this.pii.index('id_number', idNumber).toString('hex');
    const { reason, eventId } = await this.checkRequest(actor, req);
    const ctx = { actor, kind: 'person' as const, subject, index, raw: idNumber, reason, eventId, ip };
    const r = await this.call(ctx, now, (c) => c.lookupPerson(idNumber));
    const record = r === null ? null : r as unknown as Record<string, unknown>;
    await this.record(ctx, record ? 'found' : 'not_found');
    return {
      found: record !== null, subject, eventId, lookedUpAt: now.toISOString(),
      person: record && {
        name: maskedName(record.name),
        idNumber: maskedIdNumber(record.idNumber ?? idNumber),
        gender: genderOf(record.gender),
        birthYear: birthYearOf(record.birthDate, idNumber),
        phone: maskedPhone(record.phone),
        address: cutAddress(record.address),
      },
    };
  }

  /** An enterprise by 统一社会信用代码. */
  async lookupEnterprise(actor: Actor, req: LookupRequest & { creditCode: string }, ip: string | null = null, now = new Date()): Promise<IrsEnterpriseLookup> {
    this.requireRole(actor);
    const creditCode = normalizeCreditCode(String(req.creditCode ?? ''));
    const problem = creditCodeProblem(creditCode);
    if (problem) throw Problem.invalidField('creditCode', problem, 400);
    const { reason, eventId } = await this.checkRequest(actor, req);
    // a credit code is public registry data (国家企业信用信息公示系统): the audit keeps it as it is, to be found by it
    const ctx = { actor, kind: 'enterprise' as const, subject: creditCode, index: null, raw: creditCode, reason, eventId, ip };
    const r = await this.call(ctx, now, (c) => c.lookupEnterprise(creditCode));
    const record = r === null ? null : r as unknown as Record<string, unknown>;
    await this.record(ctx, record ? 'found' : 'not_found');
    const text = (v: unknown, max: number) => (typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, max) : null);
    const established = text(record?.establishedOn, 10);
    return {
      found: record !== null, subject: creditCode, eventId, lookedUpAt: now.toISOString(),
      enterprise: record && {
        name: text(record.name, 200),
        creditCode,
        legalPerson: maskedName(record.legalPerson),
        address: cutAddress(record.address),
        status: text(record.status, 20),
        establishedOn: established && /^\d{4}-\d{2}-\d{2}$/.test(established) ? established : null,
      },
    };
  }

  private requireRole(actor: Actor): void {
    if (!IRS_LOOKUP_ROLES.has(actor.role)) throw Problem.forbidden(`role ${actor.role} may not look up IRS data (dispatchers only)`);
  }

  /** The reason (trimmed, 4–200 characters) and the event, which the caller must be able to see (404 otherwise). */
  private async checkRequest(actor: Actor, req: LookupRequest): Promise<{ reason: string; eventId: string | null }> {
    const reason = typeof req.reason === 'string' ? req.reason.trim() : '';
    const n = codePoints(reason);
    if (n < REASON_MIN || n > REASON_MAX) {
      throw Problem.invalidField('reason', `a reason of ${REASON_MIN}–${REASON_MAX} characters is required (why this lookup is needed: it is written to the audit log)`, 400);
    }
    if (req.eventId === undefined || req.eventId === null) return { reason, eventId: null };
    const eventId = String(req.eventId).toLowerCase();
    if (!(await this.events.findVisible(actor, eventId))) throw Problem.notFound(`event ${eventId}`);
    return { reason, eventId };
  }

  /**
   * The per-user limit, then the gateway call. Every way out of here that is not an answer writes its audit row and
   * throws: 429 rate limited, 503 not configured or limit unknown, 502 the gateway failed or refused.
   */
  private async call<T>(ctx: AuditContext, now: Date, send: (c: IrsClient) => Promise<GatewayResult<T>>): Promise<T> {
    let counts: [number, number];
    try {
      counts = await this.count(ctx.actor.id, now.getTime());
    } catch {
      await this.record(ctx, 'limit_unavailable');
      throw new Problem(503, 'Service Unavailable', 'the lookup limit cannot be checked right now (Redis): retry later', [], 'urn:grid141:problem:unavailable');
    }
    const limits = this.settings.lookups;
    if (counts[0] > limits.IRS_LOOKUPS_PER_MINUTE || counts[1] > limits.IRS_LOOKUPS_PER_DAY) {
      const perDay = counts[1] > limits.IRS_LOOKUPS_PER_DAY;
      await this.record(ctx, 'rate_limited', { limit: perDay ? `${limits.IRS_LOOKUPS_PER_DAY}/day` : `${limits.IRS_LOOKUPS_PER_MINUTE}/minute` });
      throw new Problem(429, 'Too Many Requests', perDay
        ? `at most ${limits.IRS_LOOKUPS_PER_DAY} IRS lookups a day per user: retry tomorrow`
        : `at most ${limits.IRS_LOOKUPS_PER_MINUTE} IRS lookups a minute per user: retry in a minute`, [], 'urn:grid141:problem:rate-limited');
    }
    if (!this.client) {
      await this.record(ctx, 'not_configured');
      throw new Problem(503, 'Service Unavailable', 'not configured: IRS lookups need GATEWAY_IRS_BASE_URL, GATEWAY_IRS_ACCESS_KEY and GATEWAY_IRS_SECRET_KEY',
        [], 'urn:grid141:problem:not-configured');
    }
    const result = await send(this.client);
    if (result.ok) {
      const body: unknown = result.body;
      if (body === null || (typeof body === 'object' && !Array.isArray(body))) return result.body;
      // a record that is not an object cannot be masked field by field: it is not shown
      await this.record(ctx, 'gateway_error', { failure: 'unexpected_answer', attempts: result.attempts });
      throw new Problem(502, 'Bad Gateway', 'the IRS data service answered a record that is not an object; the lookup is in the audit log', [], 'urn:grid141:problem:gateway-failure');
    }
    const failure = result as GatewayFailure;
    await this.record(ctx, 'gateway_error', {
      failure: failure.reason, attempts: failure.attempts, ...('status' in failure && failure.status !== undefined ? { gatewayStatus: failure.status } : {}),
      error: this.scrub(failure.error, ctx),
    });
    const why = failure.reason === 'rejected'
      ? `refused the lookup (HTTP ${failure.status}: ${this.scrub(failure.error, ctx)})`
      : `did not answer in ${failure.attempts} attempt${failure.attempts === 1 ? '' : 's'} (${this.scrub(failure.error, ctx)})`;
    throw new Problem(502, 'Bad Gateway', `the IRS data service ${why}; the lookup is in the audit log`, [], 'urn:grid141:problem:gateway-failure');
  }

  /** This minute's and today's lookups of the user, this one included (fixed windows in Redis, one round trip). */
  private async count(userId: string, ms: number): Promise<[number, number]> {
    const base = `${this.config.REDIS_PREFIX}:irs:rate:${userId}`;
    const minuteKey = `${base}:m:${Math.floor(ms / 60_000)}`;
    const dayKey = `${base}:d:${day(ms)}`;
    const res = await this.redis.multi().incr(minuteKey).expire(minuteKey, 120).incr(dayKey).expire(dayKey, 2 * 86_400).exec();
    if (!res || res.some(([err]) => err)) throw new Error('rate counter failed');
    return [Number(res[0]![1]), Number(res[2]![1])];
  }

  /** A gateway's error text without the looked-up key in it (a gateway may echo its parameters), at most 200 characters. */
  private scrub(text: string, ctx: AuditContext): string {
    return text.split(ctx.raw).join(ctx.subject).replace(/\d{17}[\dXx]/g, (m) => maskedIdNumber(m)!).slice(0, 200);
  }

  private async record(ctx: AuditContext, result: Result, extra: Record<string, unknown> = {}): Promise<void> {
    const outcome = result === 'found' || result === 'not_found' ? 'ok' : result === 'rate_limited' ? 'denied' : 'failed';
    await this.audit.record({
      actorId: ctx.actor.id, username: ctx.actor.username, action: `irs.${ctx.kind}.lookup`, target: ctx.subject, outcome, ip: ctx.ip,
      detail: {
        kind: ctx.kind, subject: ctx.subject, ...(ctx.index ? { subjectIndex: ctx.index } : {}), reason: ctx.reason, eventId: ctx.eventId,
        role: ctx.actor.role, result, ...extra,
      },
    });
  }
}

interface AuditContext {
  actor: Actor;
  kind: IrsLookupKind;
  /** What the audit and the answer show: the masked ID number, or the credit code. */
  subject: string;
  /** Blind index of the ID number (hex), or null for an enterprise. */
  index: string | null;
  /** The key as sent to the gateway: never written anywhere. */
  raw: string;
  reason: string;
  eventId: string | null;
  ip: string | null;
}
