/**
 * The outbox sender: sends the reports kept on the phone, oldest first, and takes each out of the outbox only on a
 * definitive answer.
 * - Photos first (POST /attachments, multipart `file`); each id is written to the record at once, so a retry does not
 *   upload that photo again. Then POST /events with the report's id (a resent id answers 200 with the same event).
 * - 201/200: sent (the record moves to `sent`). A definitive 4xx: failed, with the server's reason, kept for the user
 *   to fix or discard. Anything else (no network, 5xx, 408/429, a refresh that could not reach the server): kept
 *   waiting, and the pass stops until the next trigger.
 * - Triggers: the app starting, the browser coming back `online`, a timer, a new report. One sender at a time: within
 *   a tab one pass runs and at most one more is queued; across tabs the Web Lock `grid141.outbox` lets one pass run.
 */
import type { AttachmentView } from '@contracts/attachments';
import type { EventView } from '@contracts/events';
import { api, ApiError, apiResponse } from '@shared/api';
import { SessionEnded } from '@shared/session';
import { listOutbox, markSent, pruneSent, updateOutbox } from './store';
import type { OutboxRecord } from './store';

export const OUTBOX_LOCK = 'grid141.outbox';
const UPLOAD_TIMEOUT_MS = 90_000;
const REPORT_TIMEOUT_MS = 30_000;

/** Other tabs of this browser hear of outbox changes (their waiting lists refresh). */
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('grid141-outbox') : null;

export function announceOutboxChange(): void {
  channel?.postMessage('changed');
}

export function onOutboxChangeElsewhere(fn: () => void): void {
  channel?.addEventListener('message', () => fn());
}

/** Runs `fn` while holding the outbox lock of this browser (every tab), or directly where Web Locks are missing. */
export function withOutboxLock<T>(fn: () => Promise<T>): Promise<T> {
  return navigator.locks ? navigator.locks.request(OUTBOX_LOCK, fn) : fn();
}

/** A refusal in Chinese for the user: the server's field messages or detail, with the status. */
export function refusalText(e: ApiError): string {
  const fields: Record<string, string> = {
    location: '位置', 'location.lng': '位置', 'location.lat': '位置', categoryCode: '事件类型', description: '事件描述',
    attachmentIds: '照片', urgency: '紧急程度', id: '编号', file: '照片',
  };
  const what = e.problem?.errors?.map((f) => `${fields[f.field.replace(/\[\d+\]$/, '')] ?? f.field}：${f.message}`).join('；');
  const hint = e.status === 422 && e.problem?.errors?.some((f) => f.field.startsWith('location')) ? '（位置不在本县范围内，请重新定位）'
    : e.status === 413 ? '（照片太大）' : e.status === 415 ? '（照片格式无法识别）' : e.status === 409 ? '（编号冲突，请修改后重新提交）' : '';
  return `服务器拒收（${e.status}）${hint}：${what || e.problem?.detail || e.message}`;
}

export type SendOutcome = 'sent' | 'failed' | 'later' | 'session-ended';

export interface SenderHooks {
  userId: () => string;
  /** The outbox changed (a record sent, failed or retried later). */
  changed: () => void;
  /** A report was accepted by the server (201 created now, 200 already there). */
  sent: (event: EventView, created: boolean) => void;
  /** The session ended (refresh refused): sending waits for a new login. */
  sessionEnded: () => void;
}

export class OutboxSender {
  private running: Promise<void> | null = null;
  private again = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** true while a pass is sending (for the page: 发送中). */
  busy = false;

  constructor(private readonly hooks: SenderHooks, private readonly retryMs = 15_000) {}

  start(): void {
    window.addEventListener('online', this.onOnline);
    this.timer = setInterval(() => this.kick(), this.retryMs);
    this.kick();
  }

  stop(): void {
    window.removeEventListener('online', this.onOnline);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private readonly onOnline = () => this.kick();

  /** Starts a pass now, or queues one after the pass that is running. */
  kick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = withOutboxLock(() => this.pass()).catch(() => undefined).finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        void this.kick();
      }
    });
    return this.running;
  }

  /** One pass over the waiting records, oldest first; stops at the first one that must wait (network, session). */
  private async pass(): Promise<void> {
    // the browser knows it has no network (it can be wrong only the other way): wait for `online`
    if (!navigator.onLine) return;
    const waiting = (await listOutbox(this.hooks.userId())).filter((r) => r.state === 'waiting');
    if (waiting.length === 0) return;
    this.busy = true;
    this.hooks.changed();
    try {
      for (const r of waiting) {
        const outcome = await this.send(r);
        this.hooks.changed();
        announceOutboxChange();
        if (outcome === 'later' || outcome === 'session-ended') break;
      }
      await pruneSent(this.hooks.userId());
    } finally {
      this.busy = false;
      this.hooks.changed();
    }
  }

  private async send(r: OutboxRecord): Promise<SendOutcome> {
    try {
      const ids: string[] = [];
      for (const p of r.photos) {
        if (!p.uploadedId) {
          const form = new FormData();
          form.append('file', p.blob, `${p.key}.jpg`);
          const att = await api<AttachmentView>('/attachments', { form, noRedirect: true, signal: AbortSignal.timeout(UPLOAD_TIMEOUT_MS) });
          p.uploadedId = att.id;
          const still = await updateOutbox(r.id, (x) => {
            const same = x.photos.find((q) => q.key === p.key);
            if (same) same.uploadedId = att.id;
          });
          if (!still) return 'failed'; // discarded meanwhile
        }
        ids.push(p.uploadedId);
      }
      const res = await apiResponse<EventView>('/events', {
        body: { ...r.request, ...(ids.length ? { attachmentIds: ids } : {}) }, noRedirect: true, signal: AbortSignal.timeout(REPORT_TIMEOUT_MS),
      });
      await markSent(r.id, res.body.code);
      this.hooks.sent(res.body, res.status === 201);
      return 'sent';
    } catch (e) {
      if (e instanceof SessionEnded || (e instanceof ApiError && e.problem?.type === 'urn:grid141:problem:password-change-required')) {
        await updateOutbox(r.id, (x) => { x.error = '登录已失效，重新登录后自动发送'; });
        this.hooks.sessionEnded();
        return 'session-ended';
      }
      if (e instanceof ApiError && e.definitive) {
        await updateOutbox(r.id, (x) => {
          x.state = 'failed';
          x.error = refusalText(e);
          x.errorStatus = e.status;
          x.attempts += 1;
          x.lastTriedAt = new Date().toISOString();
        });
        return 'failed';
      }
      const why = e instanceof ApiError ? `服务器暂时无法处理（${e.status}），稍后自动重试` : '网络不可用，联网后自动发送';
      await updateOutbox(r.id, (x) => {
        x.error = why;
        x.attempts += 1;
        x.lastTriedAt = new Date().toISOString();
      });
      return 'later';
    }
  }
}
