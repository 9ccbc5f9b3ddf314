import { Injectable, Logger } from '@nestjs/common';
import { SessionCache } from '#core';

/** Sessions (and their sockets) to check again: session id → socket ids. */
export type Affected = Map<string, Set<string>>;

/**
 * Tells the /live server which sockets' sessions to check again, from the notifications the session cache hears (the
 * `grid141_auth` trigger NOTIFYs at commit: `s:<session>` when a session changes, `u:<user>` when a user does, and the
 * cache says '' when its LISTEN connection came back, a notification may have been missed: every socket is checked).
 * Sockets must hear of a revocation even when no request comes, so this subscribes rather than waiting to be asked.
 */
@Injectable()
export class SessionWatch {
  private readonly logger = new Logger('Live');
  private readonly sockets = new Map<string, Set<string>>();
  private readonly sessionsOfUser = new Map<string, Set<string>>();
  private unsubscribe: (() => void) | null = null;
  private onChange: (affected: Affected) => Promise<void> = async () => undefined;
  /** How many notifications (or reconnections) so far: lets a handshake tell whether one came while it ran. */
  notifications = 0;

  constructor(private readonly cache: SessionCache) {}

  /** Starts hearing the session cache's notifications. */
  start(onChange: (affected: Affected) => Promise<void>): void {
    this.onChange = onChange;
    this.unsubscribe ??= this.cache.subscribe((payload) => this.notify(this.affected(payload)));
  }

  add(userId: string, sessionId: string, socketId: string): void {
    let ids = this.sockets.get(sessionId);
    if (!ids) this.sockets.set(sessionId, (ids = new Set()));
    ids.add(socketId);
    let sessions = this.sessionsOfUser.get(userId);
    if (!sessions) this.sessionsOfUser.set(userId, (sessions = new Set()));
    sessions.add(sessionId);
  }

  remove(userId: string, sessionId: string, socketId: string): void {
    const ids = this.sockets.get(sessionId);
    ids?.delete(socketId);
    if (ids && ids.size > 0) return;
    this.sockets.delete(sessionId);
    const sessions = this.sessionsOfUser.get(userId);
    sessions?.delete(sessionId);
    if (sessions?.size === 0) this.sessionsOfUser.delete(userId);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private affected(payload: string): Affected {
    const pick = (sessionIds: Iterable<string>): Affected =>
      new Map([...sessionIds].flatMap((sid) => { const ids = this.sockets.get(sid); return ids ? [[sid, new Set(ids)] as const] : []; }));
    if (payload.startsWith('s:')) return pick([payload.slice(2)]);
    if (payload.startsWith('u:')) return pick(this.sessionsOfUser.get(payload.slice(2)) ?? []);
    return pick(this.sockets.keys());
  }

  private notify(affected: Affected): void {
    this.notifications++;
    if (affected.size === 0) return;
    this.onChange(affected).catch((err: Error) => this.logger.warn(`live: session recheck failed: ${err.message}`));
  }
}
