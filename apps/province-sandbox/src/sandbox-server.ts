import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomInt } from 'node:crypto';
import { checkIrs, checkZwdd, ERR, provinceHeaders } from './sandbox-signatures.js';
import type { Check } from './sandbox-signatures.js';
import { enterpriseByCreditCode, personByIdNumber, syntheticWorkOrder } from './sandbox-data.js';

/**
 * The province in a box: the 浙政钉 open platform (`/message/...`, `/tc/...`), the IRS gateway (`/restapi/prod/{接口编码}/...`:
 * person and enterprise lookups, the 12345 upward interface, provincial event reports), and the 12345 platform's pushes
 * down to the county. Signatures are verified as the gateways do (sandbox-signatures.ts); what is accepted is recorded
 * and can be read back over /_sandbox/*; faults are injected on request.
 */
export interface SandboxOptions {
  zwddKeys: Map<string, string>;
  irsKeys: Map<string, string>;
  skewSeconds: number;
  push?: { url?: string; visitUrl?: string; accessKey: string; secretKey: string; scheme: 'zwdd' | 'irs' };
  /** How long a "timeout" fault holds the request before dropping it (clients give up earlier). */
  timeoutHoldMs: number;
  now?: () => number;
  random?: () => number;
}

export interface Faults { failRate: number; latencyMs: number; timeoutRate: number; dropRate: number; duplicateRate: number }
const NO_FAULTS: Faults = { failRate: 0, latencyMs: 0, timeoutRate: 0, dropRate: 0, duplicateRate: 0 };

interface Received {
  seq: number;
  kind: string;
  messageId: string | null;
  /** A message id already applied: recorded, answered as before, not applied again. */
  duplicate: boolean;
  at: string;
  method: string;
  path: string;
  query: string;
  accessKey: string;
  body: unknown;
}

/** A 浙政钉 to-do as the sandbox keeps it; `createdSeq`/`finishedSeq` order the create and finish calls of every to-do. */
interface SandboxTodo {
  taskUuid: string;
  bizTaskId: string;
  assigneeId: string;
  subject: string;
  url: string | null;
  state: 'open' | 'finished';
  createdSeq: number;
  finishedSeq: number | null;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

const MAX_BODY = 1 << 20;
/** Items kept for /_sandbox/received; beyond this, messages are still applied and counted, no longer listed. */
const MAX_RECORDS = 200_000;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) { reject(new HttpError(413, 'body too large')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ProvinceSandbox {
  readonly server: http.Server;
  private faults: Faults = { ...NO_FAULTS };
  private readonly injected = { fail: 0, timeout: 0, drop: 0, duplicate: 0 };
  private records: Received[] = [];
  /** Per kind: requests accepted, distinct message ids applied, redeliveries of an applied id. */
  private readonly counts = new Map<string, { total: number; distinct: number; duplicates: number }>();
  private seq = 0;
  /** `${kind}\u0000${messageId}` → the answer given when it was applied (a redelivery gets the same one). */
  private readonly applied = new Map<string, unknown>();
  private readonly refused = new Map<string, number>();
  /** 浙政钉 nonces seen, with when they may be forgotten. */
  private readonly nonces = new Map<string, number>();
  /** Per event: the last applied seq, and how often a lower one arrived after it. */
  private readonly eventSeq = new Map<string, number>();
  private outOfOrder = 0;
  private readonly held = new Set<Socket>();
  /** 免登: access tokens handed out by /gettoken.json, and one-time auth codes issued over /_sandbox/auth-code. */
  private readonly tokens = new Map<string, number>();
  private readonly authCodes = new Map<string, { user: Record<string, string>; until: number }>();
  /** 浙政钉 to-dos (待办) created, by taskUuid: open until finished by their assignee. */
  private readonly todos = new Map<string, SandboxTodo>();
  private todoClock = 0;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly options: SandboxOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (res.headersSent || res.destroyed) return;
        const status = e instanceof HttpError ? e.status : 500;
        send(res, status, { message: e instanceof Error ? e.message : String(e) });
      });
    });
    this.server.keepAliveTimeout = 15_000;
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as { port: number }).port));
    });
  }

  async close(): Promise<void> {
    for (const s of this.held) s.destroy();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const path = url.pathname;
    const rawQuery = url.search.startsWith('?') ? url.search.slice(1) : url.search;
    if (path.startsWith('/_sandbox/')) return this.admin(req, res, path, url);
    const body = await readBody(req);
    const method = (req.method ?? 'GET').toUpperCase();

    // faults before the gateway looks at the request: latency, a dropped connection
    if (this.faults.latencyMs > 0) await sleep(this.faults.latencyMs);
    if (this.chance(this.faults.dropRate)) { this.injected.drop++; req.socket.destroy(); return; }

    let check: Check;
    let kind: string;
    const form = /x-www-form-urlencoded/i.test(String(req.headers['content-type'] ?? '')) ? body : null;
    if (path.startsWith('/restapi/prod/')) {
      check = checkIrs(method, path, rawQuery, req.headers, this.options.irsKeys, this.options.skewSeconds, this.now());
      kind = irsKind(path);
    } else {
      check = checkZwdd(method, path, rawQuery, form, req.headers, this.options.zwddKeys, this.options.skewSeconds, this.now());
      if (check.ok && !this.claimNonce(check.accessKey, check.nonce!)) check = { ok: false, error: ERR.nonce };
      kind = ZWDD_ROUTES[path] ?? '';
    }
    if (!check.ok) {
      this.refused.set(check.error, (this.refused.get(check.error) ?? 0) + 1);
      return send(res, 401, { message: check.error });
    }
    if (kind === '') {
      this.refused.set(ERR.route, (this.refused.get(ERR.route) ?? 0) + 1);
      return path.startsWith('/restapi/prod/') ? send(res, 401, { message: ERR.route }) : send(res, 404, { success: false, errorMsg: `no such API: ${path}` });
    }

    if (this.chance(this.faults.failRate)) { this.injected.fail++; return send(res, 503, { message: 'Service unavailable (sandbox fault)' }); }

    const params = form !== null ? Object.fromEntries(new URLSearchParams(form)) : {};
    let json: Record<string, unknown> = {};
    if (form === null && body !== '') {
      let parsed: unknown;
      try { parsed = JSON.parse(body); } catch { return send(res, 400, { code: '02', msg: 'body is not JSON' }); }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return send(res, 400, { code: '02', msg: 'body must be a JSON object' });
      json = parsed as Record<string, unknown>;
    }
    const answer = this.apply(kind, method, path, rawQuery, check.accessKey, form !== null ? params : json, url.searchParams);

    // applied, but the answer is lost: the client times out and will deliver again
    if (this.chance(this.faults.timeoutRate)) {
      this.injected.timeout++;
      const socket = req.socket;
      this.held.add(socket);
      setTimeout(() => { socket.destroy(); this.held.delete(socket); }, this.options.timeoutHoldMs).unref();
      return;
    }
    send(res, answer.status, answer.body);
  }

  /** Records the message and applies it once per message id; a redelivery gets the first answer again. */
  private apply(kind: string, method: string, path: string, query: string, accessKey: string, body: Record<string, unknown>, search: URLSearchParams): { status: number; body: unknown } {
    const messageId = messageIdOf(kind, body);
    const key = messageId === null ? null : `${kind}\u0000${messageId}`;
    const duplicate = key !== null && this.applied.has(key);
    const count = this.counts.get(kind) ?? { total: 0, distinct: 0, duplicates: 0 };
    this.counts.set(kind, count);
    count.total++;
    if (duplicate) count.duplicates++;
    if (this.records.length < MAX_RECORDS) {
      this.records.push({ seq: ++this.seq, kind, messageId, duplicate, at: new Date(this.now()).toISOString(), method, path,
        query: query.replace(/(appsecret=)[^&]*/gi, '$1***'), accessKey, body });
    }
    if (duplicate) return { status: 200, body: this.applied.get(key!) };
    const answer = this.answer(kind, body, search);
    if (key !== null && answer.status < 300) { this.applied.set(key, answer.body); count.distinct++; }
    if (kind === 'event-report' && answer.status < 300) {
      const eventId = String(body.eventId ?? '');
      const seq = Number(body.seq);
      const last = this.eventSeq.get(eventId);
      if (last !== undefined && seq < last) this.outOfOrder++;
      this.eventSeq.set(eventId, Math.max(last ?? -Infinity, seq));
    }
    return answer;
  }

  private answer(kind: string, body: Record<string, unknown>, search: URLSearchParams): { status: number; body: unknown } {
    const zwddOk = (data: unknown) => ({ status: 200, body: { success: true, content: { success: true, responseCode: '0', responseMessage: 'OK', data } } });
    switch (kind) {
      case 'work-notice': return zwddOk({ msgId: `sbx-msg-${this.seq}` });
      case 'todo-create': return this.todoCreate(body, zwddOk);
      case 'todo-finish': return this.todoFinish(body, zwddOk);
      case 'gettoken': {
        const appKey = search.get('appkey') ?? '';
        if (!appKey || this.options.zwddKeys.get(appKey) !== search.get('appsecret')) return { status: 200, body: { success: false, errorCode: '1001', errorMsg: 'appkey 或 appsecret 错误' } };
        const token = `sbx-token-${randomInt(0, 2 ** 47).toString(36)}${randomInt(0, 2 ** 47).toString(36)}`;
        this.tokens.set(token, this.now() + 7200_000);
        return zwddOk({ accessToken: token, expiresIn: 7200 });
      }
      case 'app-user': {
        const until = this.tokens.get(String(body.access_token ?? ''));
        if (until === undefined || until < this.now()) return { status: 200, body: { success: false, errorCode: '1002', errorMsg: 'access_token 无效' } };
        const code = this.authCodes.get(String(body.auth_code ?? ''));
        this.authCodes.delete(String(body.auth_code ?? ''));
        if (!code || code.until <= this.now()) return { status: 200, body: { success: false, errorCode: '1003', errorMsg: 'auth_code 无效或已使用' } };
        return zwddOk(code.user);
      }
      case 'irs-person': return personByIdNumber(search.get('idNumber'));
      case 'irs-enterprise': return enterpriseByCreditCode(search.get('creditCode'));
      default:
        if (!body.messageId) return { status: 400, body: { code: '02', msg: 'messageId is required' } };
        return { status: 200, body: { code: '0', msg: '成功' } };
    }
  }

  // ---- 浙政钉 to-dos ----------------------------------------------------------------------------------------------

  /** 待办 create (applied once per bizTaskId by `apply`): an open task in the assignee's list. */
  private todoCreate(body: Record<string, unknown>, ok: (data: unknown) => { status: number; body: unknown }): { status: number; body: unknown } {
    if (!body.bizTaskId || !body.assigneeId || !body.subject) return { status: 200, body: { success: false, errorMsg: 'bizTaskId, assigneeId and subject are required' } };
    const taskUuid = `sbx-task-${String(body.bizTaskId)}`;
    this.todos.set(taskUuid, { taskUuid, bizTaskId: String(body.bizTaskId), assigneeId: String(body.assigneeId), subject: String(body.subject),
      url: body.url === undefined ? null : String(body.url), state: 'open', createdSeq: ++this.todoClock, finishedSeq: null });
    return ok({ taskUuid });
  }

  /** 待办 finish: only a task that exists, by its assignee (a finish before the create, or by someone else, is refused). */
  private todoFinish(body: Record<string, unknown>, ok: (data: unknown) => { status: number; body: unknown }): { status: number; body: unknown } {
    const todo = this.todos.get(String(body.taskUuid ?? ''));
    if (!todo) return { status: 200, body: { success: false, errorCode: '4004', errorMsg: `待办不存在: ${String(body.taskUuid ?? '')}` } };
    if (todo.assigneeId !== String(body.userId ?? '')) return { status: 200, body: { success: false, errorCode: '4003', errorMsg: '只有待办的处理人可以完成待办' } };
    if (todo.state === 'open') { todo.state = 'finished'; todo.finishedSeq = ++this.todoClock; }
    return ok(true);
  }

  private todoList(url: URL): SandboxTodo[] {
    const assignee = url.searchParams.get('assigneeId');
    const state = url.searchParams.get('state');
    return [...this.todos.values()].filter((t) => (!assignee || t.assigneeId === assignee) && (!state || t.state === state));
  }

  private summary(kind: string | null): { total: number; distinct: number; duplicates: number } {
    const sum = { total: 0, distinct: 0, duplicates: 0 };
    for (const [k, c] of this.counts) {
      if (kind !== null && k !== kind) continue;
      sum.total += c.total; sum.distinct += c.distinct; sum.duplicates += c.duplicates;
    }
    return sum;
  }

  private claimNonce(accessKey: string, nonce: string): boolean {
    const now = this.now();
    if (this.nonces.size > 100_000) for (const [k, until] of this.nonces) if (until < now) this.nonces.delete(k);
    const key = `${accessKey}\u0000${nonce}`;
    const until = this.nonces.get(key);
    if (until !== undefined && until > now) return false;
    this.nonces.set(key, now + 2 * this.options.skewSeconds * 1000 + 30_000);
    return true;
  }

  private chance(rate: number): boolean {
    return rate > 0 && this.random() < rate;
  }

  // ---- admin ------------------------------------------------------------------------------------------------------

  private async admin(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    if (path === '/_sandbox/health') return send(res, 200, { ok: true });
    if (path === '/_sandbox/received' && method === 'GET') {
      const kind = url.searchParams.get('kind');
      const all = kind ? this.records.filter((r) => r.kind === kind) : this.records;
      // counts over everything; the items paged (oldest first) so that a bench's backlog does not make one huge answer
      const offset = Math.max(0, Number(url.searchParams.get('offset') ?? 0) || 0);
      const limit = Math.min(100_000, Math.max(0, Number(url.searchParams.get('limit') ?? 10_000) || 0));
      return send(res, 200, { kind, ...this.summary(kind), offset, items: all.slice(offset, offset + limit) });
    }
    if (path === '/_sandbox/received' && method === 'DELETE') {
      this.records = [];
      this.counts.clear();
      this.applied.clear();
      this.eventSeq.clear();
      this.refused.clear();
      this.outOfOrder = 0;
      this.todos.clear();
      Object.assign(this.injected, { fail: 0, timeout: 0, drop: 0, duplicate: 0 });
      return send(res, 200, { cleared: true });
    }
    if (path === '/_sandbox/stats' && method === 'GET') {
      const kinds = Object.fromEntries(this.counts);
      return send(res, 200, { kinds, refused: Object.fromEntries(this.refused), faultsInjected: this.injected,
        events: { distinct: this.eventSeq.size, outOfOrder: this.outOfOrder } });
    }
    if (path === '/_sandbox/faults' && method === 'GET') return send(res, 200, this.faults);
    // the 浙政钉 to-dos as their assignees would see them (?assigneeId=, ?state=open|finished)
    if (path === '/_sandbox/todos' && method === 'GET') return send(res, 200, { items: this.todoList(url) });
    if (path === '/_sandbox/auth-code' && method === 'POST') {
      // what the 浙政钉 bridge (getAuthCode) gives a page: a one-time code for this user, valid 5 minutes (ttlSeconds: less,
      // 0 for a code already expired, to test the refusal)
      const body = parseJson(await readBody(req));
      if (typeof body.accountId !== 'string' || body.accountId === '') throw new HttpError(400, 'accountId: is required');
      const ttl = body.ttlSeconds ?? 300;
      if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > 3600) throw new HttpError(400, 'ttlSeconds: must be an integer from 0 to 3600');
      const user: Record<string, string> = { accountId: body.accountId, tenantId: String(body.tenantId ?? '196729') };
      if (typeof body.employeeCode === 'string') user.employeeCode = body.employeeCode;
      if (typeof body.name === 'string') user.lastName = body.name;
      const authCode = `sbx-code-${randomInt(0, 2 ** 47).toString(36)}`;
      this.authCodes.set(authCode, { user, until: this.now() + ttl * 1000 });
      return send(res, 200, { authCode });
    }
    if (path === '/_sandbox/faults' && method === 'POST') {
      const body = parseJson(await readBody(req));
      const next: Faults = { ...NO_FAULTS };
      const problems: string[] = [];
      for (const key of Object.keys(NO_FAULTS) as (keyof Faults)[]) {
        const v = body[key];
        if (v === undefined) continue;
        const max = key === 'latencyMs' ? 60_000 : 1;
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > max) problems.push(`${key} must be a number from 0 to ${max}`);
        else next[key] = v;
      }
      const unknown = Object.keys(body).filter((k) => !(k in NO_FAULTS));
      if (unknown.length > 0) problems.push(`unknown fields: ${unknown.join(', ')}`);
      if (problems.length > 0) return send(res, 400, { message: problems.join('; ') });
      this.faults = next;
      return send(res, 200, this.faults);
    }
    if ((path === '/_sandbox/push-workorder' || path === '/_sandbox/push-visit') && method === 'POST') {
      const body = parseJson(await readBody(req));
      return send(res, 200, await this.push(path.endsWith('visit') ? 'visit' : 'workorder', body));
    }
    return send(res, 404, { message: `no such sandbox endpoint: ${method} ${path}` });
  }

  /** Pushes a 12345 work order (or a 回访 result) down to the county, signed as the province, retrying like it would. */
  private async push(what: 'workorder' | 'visit', body: Record<string, unknown>) {
    const push = this.options.push;
    if (!push) throw new HttpError(409, 'pushing needs SANDBOX_PUSH_ACCESS_KEY and SANDBOX_PUSH_SECRET_KEY');
    const target = typeof body.url === 'string' ? body.url : what === 'visit' ? push.visitUrl : push.url;
    if (!target) throw new HttpError(400, 'url: no target (set SANDBOX_PUSH_URL or pass url)');
    const fields = (body.order ?? body.visit ?? {}) as Record<string, unknown>;
    if (typeof fields !== 'object' || Array.isArray(fields)) throw new HttpError(400, 'order: must be an object');
    const payload: Record<string, string> = what === 'workorder'
      ? syntheticWorkOrder(new Date(this.now()), fields)
      : Object.fromEntries(Object.entries({ visitResult: '满意', visitTime: beijing(this.now()), ...fields }).map(([k, v]) => [k, String(v)]));
    if (what === 'visit' && !payload.orderNo) throw new HttpError(400, 'visit.orderNo: is required');
    const form = new URLSearchParams(payload).toString();
    const copies = this.chance(this.faults.duplicateRate) ? 2 : 1;
    if (copies === 2) this.injected.duplicate++;
    const deliveries: { copy: number; attempt: number; status: number | null; body: unknown }[] = [];
    for (let copy = 1; copy <= copies; copy++) {
      for (let attempt = 1; attempt <= 3; attempt++) {
        const u = new URL(target);
        const nonce = `${this.now()}${String(randomInt(0, 10_000)).padStart(4, '0')}`;
        const headers = provinceHeaders(push.scheme, 'POST', u.pathname, u.search.slice(1), form, push.accessKey, push.secretKey, new Date(this.now()), nonce);
        try {
          const res = await fetch(target, { method: 'POST', body: form, signal: AbortSignal.timeout(10_000),
            headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' } });
          const text = await res.text();
          let parsed: unknown = text;
          try { parsed = JSON.parse(text); } catch { /* text */ }
          deliveries.push({ copy, attempt, status: res.status, body: parsed });
          if (res.status < 500) break;
        } catch (e) {
          deliveries.push({ copy, attempt, status: null, body: String((e as Error).message) });
        }
        if (attempt < 3) await sleep(200 * attempt);
      }
    }
    return { orderNo: payload.orderNo, payload, deliveries };
  }
}

const ZWDD_ROUTES: Record<string, string> = {
  '/message/workNotification': 'work-notice',
  '/tc/v2/openapi/task/create.json': 'todo-create',
  '/tc/openapi/task/finish.json': 'todo-finish',
  '/gettoken.json': 'gettoken',
  '/rpc/oauth2/dingtalk_app_user.json': 'app-user',
};

/** The kind of an IRS call from what follows the 接口编码: the sandbox's own route table. */
function irsKind(path: string): string {
  const rest = path.replace(/^\/restapi\/prod\/[A-Za-z0-9]+/, '');
  if (rest === '/person') return 'irs-person';
  if (rest === '/enterprise') return 'irs-enterprise';
  if (rest === '/event/report') return 'event-report';
  const m = /^\/workorder\/(sign|reply|return|delay)$/.exec(rest);
  return m ? `12345-${m[1]}` : '';
}

function messageIdOf(kind: string, body: Record<string, unknown>): string | null {
  const field = kind === 'work-notice' ? 'bizMsgId' : kind === 'todo-create' ? 'bizTaskId' : kind === 'todo-finish' ? 'taskUuid'
    : kind.startsWith('irs-') ? null : 'messageId';
  if (field === null) return null;
  const v = body[field];
  return v === undefined || v === null || v === '' ? null : String(v);
}


function parseJson(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch { /* below */ }
  throw new HttpError(400, 'body must be a JSON object');
}

const beijing = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
