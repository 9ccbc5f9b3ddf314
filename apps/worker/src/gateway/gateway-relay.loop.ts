import { Injectable, Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { backoffDelay } from '#core';
import type { GatewayResult } from '#core';
// libs/core/src/index.ts does not export the relay's folder yet (requested in /work/notes/requests-relay.md)
import { GatewayDeliveriesRepository } from '../../../../libs/core/src/gateway-relay/index.js';
import type { DeliveryOutcome, GatewayDeliveryRow } from '../../../../libs/core/src/gateway-relay/index.js';
import { WorkerGateways } from './gateway-clients.provider.js';

const ROUTE_BATCH = 500;
const IDLE_MS = 200;
/**
 * Rounds (client calls, each with its own retries) before a delivery that keeps failing transiently is dead. Between rounds
 * the backoff doubles up to ROUND_BACKOFF_MAX_MS (full jitter), so a gateway outage of about an hour turns its deliveries
 * dead, a shorter one (a 10-minute provincial outage) only delays them — and by at most that much once it is over.
 */
export const MAX_ROUNDS = 120;
const ROUND_BACKOFF_MAX_MS = 30_000;
/** The creator 浙政钉 shows on the to-dos this system opens. */
const TODO_CREATOR = 'grid141';

/**
 * The outbox relay to the provincial gateways, in two steps that each survive a restart:
 *
 * 1. the router follows the timeline (event_actions) in change-feed order from a persisted cursor and writes the deliveries
 *    each change implies in one transaction with advancing the cursor (GatewayDeliveriesRepository.route);
 * 2. the deliverer claims due deliveries — the first open one of each event, so an event's messages leave one at a time in
 *    order while many events are delivered in parallel (up to GATEWAY_CONNECTIONS at once) — calls the gateway, and marks
 *    each done, dead (refused; or transient failures through MAX_ROUNDS rounds) or due again after a backoff.
 *
 * Every state is in the database: a worker killed mid-call leaves its claimed rows leased until the lease runs out, then
 * they are delivered again with the same message id (the gateways apply a message id once).
 */
@Injectable()
export class GatewayRelayLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('GatewayRelay');
  private stopped = false;
  private routeTimer?: NodeJS.Timeout;
  private claimTimer?: NodeJS.Timeout;
  private routing: Promise<unknown> = Promise.resolve();
  private claiming: Promise<unknown> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly concurrency: number;
  private readonly leaseMs: number;

  constructor(private readonly deliveries: GatewayDeliveriesRepository, private readonly gateways: WorkerGateways) {
    const c = gateways.config;
    this.concurrency = c.connections;
    // longer than one round can take: every attempt timing out, with the longest backoff between them
    this.leaseMs = c.retry.maxAttempts * (c.timeoutMs + c.retry.maxMs) + 5_000;
  }

  onApplicationBootstrap(): void {
    this.route();
    this.claim();
  }

  private route(): void {
    if (this.stopped) return;
    this.routing = this.deliveries.route(ROUTE_BATCH)
      .then(({ changes, deliveries }) => {
        if (deliveries > 0) this.claim();
        return changes >= ROUTE_BATCH ? 0 : IDLE_MS;
      })
      .catch((err: Error) => { this.logger.warn(`routing: ${err.message}`); return 1000; })
      .then((wait) => { if (!this.stopped) this.routeTimer = setTimeout(() => this.route(), wait); });
  }

  /** Fills the free delivery slots; again when a delivery ends, and every IDLE_MS while idle (retries coming due). */
  private claim(): void {
    if (this.stopped || this.claiming) return;
    const free = this.concurrency - this.inFlight.size;
    if (free <= 0) return;
    if (this.claimTimer) clearTimeout(this.claimTimer);
    this.claiming = this.deliveries.claim(free, this.leaseMs)
      .then((rows) => { for (const row of rows) this.start(row); return rows.length; })
      .catch((err: Error) => { this.logger.warn(`claiming: ${err.message}`); return 0; })
      .then((n) => {
        this.claiming = null;
        if (this.stopped) return;
        if (n > 0) this.claim();
        else this.claimTimer = setTimeout(() => this.claim(), IDLE_MS);
      });
  }

  private start(row: GatewayDeliveryRow): void {
    const p: Promise<void> = this.deliver(row)
      .then((outcome) => this.deliveries.settle(row.id, outcome))
      .catch((err: Error) => this.logger.warn(`delivery ${row.id}: ${err.message}`))
      .finally(() => { this.inFlight.delete(p); this.claim(); });
    this.inFlight.add(p);
  }

  private async deliver(row: GatewayDeliveryRow): Promise<DeliveryOutcome> {
    let result: GatewayResult<unknown>;
    try {
      if (row.kind === 'zwdd_todo_done') {
        // finished with the taskUuid its create recorded: the create is the event's earlier delivery, settled before this
        // one was claimed (head of line); without a taskUuid it never reached 浙政钉, and there is nothing to finish
        const todo = await this.deliveries.todo(String(row.payload.bizTaskId));
        if (!todo?.taskUuid) return { kind: 'skipped', error: `to-do ${String(row.payload.bizTaskId)} was never created in 浙政钉 (its create delivery was skipped): nothing to finish` };
        result = await this.gateways.clients.zwdd.finishTodo({ taskUuid: todo.taskUuid, userId: String(row.payload.accountId) });
        if (result.ok) return { kind: 'done', status: result.status, todo: { bizTaskId: String(row.payload.bizTaskId), finished: true } };
      } else {
        result = await this.call(row);
        if (result.ok && row.kind === 'zwdd_todo') {
          return { kind: 'done', status: result.status, todo: { bizTaskId: row.messageId, taskUuid: (result.body as { taskUuid: string }).taskUuid } };
        }
      }
    } catch (err) {
      result = { ok: false, reason: 'exhausted', retryable: true, error: (err as Error).message, attempts: 1 };
    }
    if (result.ok) return { kind: 'done', status: result.status };
    switch (result.reason) {
      case 'rejected': return { kind: 'dead', status: result.status, error: result.error };
      case 'not_configured': return { kind: 'skipped', error: result.error };
      case 'exhausted': {
        if (row.attempts >= MAX_ROUNDS) return { kind: 'dead', status: result.status ?? null, error: `${MAX_ROUNDS} rounds failed: ${result.error}` };
        const r = this.gateways.config.retry;
        return { kind: 'retry', status: result.status ?? null, error: result.error, delayMs: backoffDelay(row.attempts, { baseMs: r.baseMs * 5, maxMs: ROUND_BACKOFF_MAX_MS }) };
      }
    }
  }

  private call(row: GatewayDeliveryRow): Promise<GatewayResult<unknown>> {
    const p = row.payload as Record<string, any>;
    const c = this.gateways.clients;
    const date = (v: unknown) => new Date(String(v));
    switch (row.kind) {
      case 'province_event': return c.province.reportEvent({ ...p, changedAt: date(p.changedAt) } as Parameters<typeof c.province.reportEvent>[0]);
      case 'zwdd_notice': return c.zwdd.workNotice({ bizMsgId: row.messageId, receiverIds: p.receiverIds, text: p.text });
      // 待办: bizTaskId = the message id, so a redelivery (lost answer, worker killed mid-call, admin replay) is one to-do
      case 'zwdd_todo': return c.zwdd.createTodo({ bizTaskId: row.messageId, subject: p.subject, creatorId: TODO_CREATOR, assigneeId: p.accountId,
        url: p.url, mobileUrl: p.mobileUrl, remark: `事件 ${String(p.eventCode)}` });
      case 'hotline_sign': return c.hotline12345.sign({ ...p, signTime: date(p.signTime) } as Parameters<typeof c.hotline12345.sign>[0]);
      case 'hotline_reply': return c.hotline12345.reply({ ...p, replyTime: date(p.replyTime) } as Parameters<typeof c.hotline12345.reply>[0]);
      case 'hotline_return': return c.hotline12345.returnOrder({ ...p, returnTime: date(p.returnTime) } as Parameters<typeof c.hotline12345.returnOrder>[0]);
      case 'hotline_delay': return c.hotline12345.requestDelay({ ...p, applyTime: date(p.applyTime) } as Parameters<typeof c.hotline12345.requestDelay>[0]);
      default:
        // zwdd_todo_done is delivered by deliver() (it needs the create's taskUuid first)
        return Promise.resolve({ ok: false, reason: 'rejected', retryable: false, status: 0, body: null, error: `${row.kind}: no gateway call for this kind`, attempts: 0 });
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.routeTimer) clearTimeout(this.routeTimer);
    if (this.claimTimer) clearTimeout(this.claimTimer);
    await Promise.all([this.routing, this.claiming, ...this.inFlight]);
  }
}
