import { Injectable } from '@nestjs/common';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { DbService } from '../database/db.service.js';
import { Problem } from '../problem/problem.js';
import type { GatewayDeliveryKind, GatewayDeliveryState } from './gateway-delivery.entity.js';
import { GatewayDeliveriesRepository } from './gateway-deliveries.repository.js';
import type { GatewayDeliveryRow } from './gateway-deliveries.repository.js';

/** A delivery as the admin console shows it. */
export interface GatewayDeliveryView {
  id: string;
  eventId: string;
  actionId: string;
  kind: GatewayDeliveryKind;
  messageId: string;
  payload: Record<string, unknown>;
  state: GatewayDeliveryState;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  lastStatus: number | null;
  createdAt: string;
  doneAt: string | null;
}

const view = (r: GatewayDeliveryRow): GatewayDeliveryView => ({
  ...r, nextAttemptAt: r.nextAttemptAt.toISOString(), createdAt: r.createdAt.toISOString(), doneAt: r.doneAt?.toISOString() ?? null,
});

/**
 * Admin: the gateway deliveries (网关投递) and their dead letters. A dead delivery holds back the later deliveries of its
 * event until it is replayed (back to pending, delivered again with the same message id) or skipped (given up: never sent).
 * Both are audited.
 */
@Injectable()
export class GatewayDeliveriesAdminService {
  constructor(private readonly db: DbService, private readonly deliveries: GatewayDeliveriesRepository, private readonly audit: AuditService) {}

  private requireAdmin(actor: Actor): void {
    if (actor.role !== 'admin') throw Problem.forbidden('only an administrator may see and replay gateway deliveries');
  }

  async list(actor: Actor, filter: { state?: GatewayDeliveryState; kind?: GatewayDeliveryKind; eventId?: string; after?: string }, limit: number)
    : Promise<{ items: GatewayDeliveryView[]; next: string | null }> {
    this.requireAdmin(actor);
    const rows = await this.deliveries.list(filter, limit);
    return { items: rows.map(view), next: rows.length === limit ? rows[rows.length - 1]!.id : null };
  }

  async replay(actor: Actor, id: string, ip: string | null): Promise<GatewayDeliveryView> {
    return this.change(actor, id, ip, 'replay');
  }

  async skip(actor: Actor, id: string, ip: string | null): Promise<GatewayDeliveryView> {
    return this.change(actor, id, ip, 'skip');
  }

  private async change(actor: Actor, id: string, ip: string | null, what: 'replay' | 'skip'): Promise<GatewayDeliveryView> {
    this.requireAdmin(actor);
    return this.db.tx(async (sql) => {
      const before = await this.deliveries.lock(sql, id);
      if (!before) throw Problem.notFound(`gateway delivery ${id}`);
      const allowed = what === 'replay' ? ['dead', 'skipped'] : ['dead'];
      if (!allowed.includes(before.state)) {
        throw Problem.conflict(`gateway delivery ${id} is ${before.state}: only ${allowed.join(' or ')} deliveries can be ${what === 'replay' ? 'replayed' : 'skipped'}`);
      }
      const after = what === 'replay' ? await this.deliveries.replay(sql, id) : await this.deliveries.skip(sql, id);
      await this.audit.record({ actorId: actor.id, username: actor.username, action: `gateway_delivery.${what}`, target: id, outcome: 'ok', ip,
        detail: { kind: before.kind, messageId: before.messageId, eventId: before.eventId, from: before.state, lastError: before.lastError } }, sql);
      return view(after);
    });
  }
}
