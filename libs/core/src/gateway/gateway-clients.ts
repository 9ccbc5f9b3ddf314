import { GatewayHttp } from './gateway-http.js';
import type { GatewayCall, GatewayHttpOptions } from './gateway-http.js';
import type { ResolvedGatewayConfig } from './gateway-config.js';
import type { GatewayResult } from './gateway-retry.js';
import { toUpward12345 } from './hotline12345-mapping.js';
import type { Hotline12345Mapping, Upward12345Action, Upward12345Messages } from './hotline12345-mapping.js';

/**
 * Typed clients of the provincial gateways. Each method makes one signed call with retries and answers a
 * GatewayResult: `ok`, or `rejected` (final: dead-letter it), `exhausted` (transient failures outlasted the budget: keep
 * it and try later, or dead-letter it after a number of rounds), or `not_configured`. Every message carries an id of
 * ours (bizMsgId / bizTaskId / messageId) so that the receiving side can apply a redelivery once.
 */
const notConfigured = (what: string): GatewayResult<never> =>
  ({ ok: false, reason: 'not_configured', retryable: false, error: `${what} is not configured`, attempts: 0 });

function mapOk<A, B>(result: GatewayResult<A>, fn: (a: A) => B): GatewayResult<B> {
  return result.ok ? { ...result, body: fn(result.body) } : result;
}

/** 浙政钉 answers `{success, content: {success, data, responseMessage}}`; false at either level is a refusal. */
interface ZwddEnvelope<T> { success?: boolean; errorMsg?: string; content?: { success?: boolean; data?: T; responseMessage?: string } }
function zwddRefusal(body: unknown): string | null {
  const b = (body ?? {}) as ZwddEnvelope<unknown>;
  if (typeof body !== 'object' || body === null) return 'unexpected answer (not JSON)';
  if (b.success === false) return b.errorMsg ?? 'success: false';
  if (b.content?.success === false) return b.content.responseMessage ?? 'content.success: false';
  return null;
}

export interface WorkNotice {
  /** Our id of the notice (the relay's message id): the same id twice is one notice. */
  bizMsgId: string;
  /** 浙政钉 accountIds / employeeCodes of the receivers. */
  receiverIds: string[];
  organizationCodes?: string[];
  /** Plain text, or a full `msg` object (OA card etc.). */
  text?: string;
  msg?: Record<string, unknown>;
}

export interface TodoCreate {
  /** Our id of the to-do (e.g. `${eventId}:${userId}:sign`). */
  bizTaskId: string;
  subject: string;
  creatorId: string;
  assigneeId: string;
  url: string;
  mobileUrl: string;
  remark?: string;
  dueAt?: Date;
}

/** The 浙政钉 user behind a 免登 auth code (what `/rpc/oauth2/dingtalk_app_user.json` answers, the fields we use). */
export interface ZwddUser {
  accountId: string;
  employeeCode?: string;
  name?: string;
  tenantId?: string;
}

export class ZwddClient {
  /** The app's access token (about 7200 s), shared by the calls of this process and renewed a minute early. */
  private token: { value: string; expiresAt: number } | null = null;

  constructor(private readonly http: GatewayHttp | null, private readonly tenantId: string,
    private readonly app: { appKey: string; appSecret: string } | null = null, private readonly now: () => number = Date.now) {}

  /**
   * 免登 (log-in without a password inside 浙政钉): the page gets a one-time auth code from the 浙政钉 bridge
   * (gdt-jsapi `getAuthCode`), the server exchanges it here for the user, with the app's access token.
   */
  async userByAuthCode(authCode: string): Promise<GatewayResult<ZwddUser>> {
    if (!this.http || !this.app) return notConfigured('浙政钉 (GATEWAY_ZWDD_*)');
    const token = await this.accessToken();
    if (!token.ok) return token;
    const r = await this.http.send<ZwddEnvelope<Record<string, unknown>>>({
      method: 'POST', path: '/rpc/oauth2/dingtalk_app_user.json', form: { access_token: token.body, auth_code: authCode },
    }, (body) => zwddRefusal(body) ?? (typeof (body as ZwddEnvelope<Record<string, unknown>>).content?.data?.accountId === 'undefined' ? 'no accountId in the answer' : null));
    // a refused token (expired early, app secret rotated) is fetched again next time; a refused code (used, expired,
    // unknown: the common case, a user's) leaves the token alone
    if (!r.ok && r.reason === 'rejected' && /token/i.test(r.error ?? '')) this.token = null;
    return mapOk(r, (b) => {
      const d = b.content!.data!;
      const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
      return { accountId: String(d.accountId), employeeCode: str(d.employeeCode), name: str(d.lastName ?? d.nickNameCn), tenantId: str(d.tenantId ?? d.realmId) };
    });
  }

  private async accessToken(): Promise<GatewayResult<string>> {
    if (this.token && this.token.expiresAt > this.now()) return { ok: true, status: 200, body: this.token.value, attempts: 0 };
    const r = await this.http!.send<ZwddEnvelope<{ accessToken?: string; expiresIn?: number }>>({
      method: 'GET', path: '/gettoken.json', query: { appkey: this.app!.appKey, appsecret: this.app!.appSecret },
    }, (body) => zwddRefusal(body) ?? ((body as ZwddEnvelope<{ accessToken?: string }>).content?.data?.accessToken ? null : 'no accessToken in the answer'));
    if (!r.ok) return r;
    const data = r.body.content!.data!;
    const lifetime = Math.max(60, Number(data.expiresIn ?? 7200));
    this.token = { value: data.accessToken!, expiresAt: this.now() + (lifetime - 60) * 1000 };
    return { ...r, body: data.accessToken! };
  }

  /** 工作通知 (work notice) to the unit's handlers: on dispatch, overdue (催办) and 督办. */
  async workNotice(n: WorkNotice): Promise<GatewayResult<{ msgId?: string }>> {
    if (!this.http) return notConfigured('浙政钉 (GATEWAY_ZWDD_*)');
    const msg = n.msg ?? { msgtype: 'text', text: { content: n.text ?? '' } };
    const r = await this.http.send<ZwddEnvelope<{ msgId?: string }>>({
      method: 'POST', path: '/message/workNotification',
      form: { tenantId: this.tenantId, receiverIds: n.receiverIds.join(','), organizationCodes: n.organizationCodes?.join(','), bizMsgId: n.bizMsgId, msg: JSON.stringify(msg) },
    }, zwddRefusal);
    return mapOk(r, (b) => ({ msgId: b.content?.data?.msgId }));
  }

  /** 待办 create: appears in the assignee's to-do list until finished. */
  async createTodo(t: TodoCreate): Promise<GatewayResult<{ taskUuid: string }>> {
    if (!this.http) return notConfigured('浙政钉 (GATEWAY_ZWDD_*)');
    const r = await this.http.send<ZwddEnvelope<{ taskUuid?: string }>>({
      method: 'POST', path: '/tc/v2/openapi/task/create.json',
      form: { tenantId: this.tenantId, bizTaskId: t.bizTaskId, subject: t.subject, creatorId: t.creatorId, assigneeId: t.assigneeId,
        url: t.url, mobileUrl: t.mobileUrl, remark: t.remark, dueDate: t.dueAt?.getTime() },
    }, (body) => zwddRefusal(body) ?? ((body as ZwddEnvelope<{ taskUuid?: string }>).content?.data?.taskUuid ? null : 'no taskUuid in the answer'));
    return mapOk(r, (b) => ({ taskUuid: b.content!.data!.taskUuid! }));
  }

  /** 待办 finish: when the handler signs, or the case leaves them. */
  async finishTodo(t: { taskUuid: string; userId: string }): Promise<GatewayResult<{ finished: true }>> {
    if (!this.http) return notConfigured('浙政钉 (GATEWAY_ZWDD_*)');
    const r = await this.http.send<unknown>({ method: 'POST', path: '/tc/openapi/task/finish.json', form: { tenantId: this.tenantId, taskUuid: t.taskUuid, userId: t.userId } }, zwddRefusal);
    return mapOk(r, () => ({ finished: true as const }));
  }
}

/** What the IRS data interfaces answer (the gateway does not wrap it): `{code: '00', msg, data}`; no data is no record. */
interface IrsAnswer<T> { code?: string; msg?: string; data?: T | null }
export interface PersonRecord { name: string; idNumber: string; gender?: string; birthDate?: string; phone?: string; address?: string }
export interface EnterpriseRecord { name: string; creditCode: string; legalPerson?: string; address?: string; status?: string; establishedOn?: string }

function irsRefusal(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return 'unexpected answer (not JSON)';
  const b = body as IrsAnswer<unknown>;
  return b.code === undefined || b.code === '00' || b.code === '01' ? null : (b.msg ?? `code ${b.code}`);
}

export class IrsClient {
  constructor(private readonly http: GatewayHttp | null, private readonly paths: { person: string; enterprise: string }) {}

  /** A person by 身份证号 (ID number). The caller masks what it shows and audits who looked and why. */
  async lookupPerson(idNumber: string): Promise<GatewayResult<PersonRecord | null>> {
    if (!this.http) return notConfigured('IRS (GATEWAY_IRS_*)');
    const r = await this.http.send<IrsAnswer<PersonRecord>>({ method: 'GET', path: this.paths.person, query: { idNumber } }, irsRefusal);
    return mapOk(r, (b) => b.data ?? null);
  }

  /** An enterprise by 统一社会信用代码 (unified social credit code). */
  async lookupEnterprise(creditCode: string): Promise<GatewayResult<EnterpriseRecord | null>> {
    if (!this.http) return notConfigured('IRS (GATEWAY_IRS_*)');
    const r = await this.http.send<IrsAnswer<EnterpriseRecord>>({ method: 'GET', path: this.paths.enterprise, query: { creditCode } }, irsRefusal);
    return mapOk(r, (b) => b.data ?? null);
  }
}

/** The 12345 platform answers 2xx; `success: false` or a non-zero `code` in the body is a refusal. */
function hotlineRefusal(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as { success?: boolean; code?: string | number; msg?: string; message?: string };
  if (b.success === false) return b.msg ?? b.message ?? 'success: false';
  if (b.code !== undefined && !['0', '00', '200'].includes(String(b.code))) return b.msg ?? b.message ?? `code ${b.code}`;
  return null;
}

export class Hotline12345Client {
  constructor(private readonly http: GatewayHttp | null, private readonly mapping: Hotline12345Mapping | null) {}

  async send<A extends Upward12345Action>(action: A, message: Upward12345Messages[A]): Promise<GatewayResult<unknown>> {
    if (!this.http || !this.mapping) return notConfigured('12345 (GATEWAY_12345_* or GATEWAY_IRS_*)');
    const call: GatewayCall = { method: 'POST', path: this.mapping.upward[action].path, json: toUpward12345(action, message, this.mapping) };
    return this.http.send(call, hotlineRefusal);
  }

  /** 签收 */
  sign(m: Upward12345Messages['sign']) { return this.send('sign', m); }
  /** 回复 (the handling result) */
  reply(m: Upward12345Messages['reply']) { return this.send('reply', m); }
  /** 退单 (return with a reason) */
  returnOrder(m: Upward12345Messages['return']) { return this.send('return', m); }
  /** 延期申请 (extension request) */
  requestDelay(m: Upward12345Messages['delay']) { return this.send('delay', m); }
}

/** One status change of an event reported to the provincial platform; `seq` (the event's version) orders them per event. */
export interface ProvinceEventReport {
  messageId: string;
  eventId: string;
  eventCode: string;
  seq: number;
  status: string;
  level: string;
  categoryCode: string;
  description?: string;
  lng?: number;
  lat?: number;
  regionCode: string;
  changedAt: Date;
  note?: string;
}

export class ProvinceEventsClient {
  constructor(private readonly http: GatewayHttp | null, private readonly path: string) {}

  async reportEvent(r: ProvinceEventReport): Promise<GatewayResult<unknown>> {
    if (!this.http) return notConfigured('provincial event platform (GATEWAY_PROVINCE_* or GATEWAY_IRS_*)');
    return this.http.send({ method: 'POST', path: this.path, json: { ...r, changedAt: r.changedAt.toISOString() } }, hotlineRefusal);
  }
}

export interface GatewayClients {
  zwdd: ZwddClient;
  irs: IrsClient;
  hotline12345: Hotline12345Client;
  province: ProvinceEventsClient;
  close(): Promise<void>;
}

/** All four clients from the validated configuration; those not configured answer `not_configured`. Close on shutdown. */
export function createGatewayClients(config: ResolvedGatewayConfig, overrides: Partial<GatewayHttpOptions> = {}): GatewayClients {
  const base: GatewayHttpOptions = { timeoutMs: config.timeoutMs, retry: config.retry, connections: config.connections, ...overrides };
  const pools: GatewayHttp[] = [];
  const http = (target: ConstructorParameters<typeof GatewayHttp>[0] | null, extra: Partial<GatewayHttpOptions> = {}) => {
    if (!target) return null;
    const h = new GatewayHttp(target, { ...base, ...extra });
    pools.push(h);
    return h;
  };
  return {
    zwdd: new ZwddClient(http(config.zwdd, { clientIp: config.zwdd?.clientIp, clientMac: config.zwdd?.clientMac }), config.zwdd?.tenantId ?? '',
      config.zwdd && { appKey: config.zwdd.accessKey, appSecret: config.zwdd.secretKey }),
    irs: new IrsClient(http(config.irs), { person: config.irs?.personPath ?? '', enterprise: config.irs?.enterprisePath ?? '' }),
    hotline12345: new Hotline12345Client(http(config.hotline12345), config.hotline12345?.mapping ?? null),
    province: new ProvinceEventsClient(http(config.province), config.province?.eventsPath ?? ''),
    close: async () => { await Promise.all(pools.map((p) => p.close())); },
  };
}
