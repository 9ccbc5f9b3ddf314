import { Injectable, Logger } from '@nestjs/common';
import pg from 'pg';
import { AppConfig, AUTH_CHANNEL } from '#core';

const RECONNECT_MS = 1_000;

/** Sessions (and their sockets) to check again: session id → socket ids. */
export type Affected = Map<string, Set<string>>;

/**
 * Tells the /live server which sockets' sessions to check again, from the same notifications the session cache
 * listens to (the `grid141_auth` trigger NOTIFYs at commit: `s:<session>` when a session changes, `u:<user>` when a
 * user does, anything else for all). Its own LISTEN connection: the session cache offers no subscription, and the
 * sockets must hear of a revocation even when no request comes. When the connection drops, every socket is checked again
 * once it is back (a notification may have been missed meanwhile).
 */
@Injectable()
export class SessionWatch {
  private readonly logger = new Logger('Live');
  private readonly sockets = new Map<string, Set<string>>();
  private readonly sessionsOfUser = new Map<string, Set<string>>();
  private client: pg.Client | null = null;
  private stopped = false;
  private reconnect?: NodeJS.Timeout;
  private onChange: (affected: Affected) => Promise<void> = async () => undefined;
  /** How many notifications (or reconnections) so far: lets a handshake tell whether one came while it ran. */
  notifications = 0;

  constructor(private readonly config: AppConfig) {}

  /** Starts listening; resolves once LISTEN is in place (or its first attempt failed and a retry is scheduled). */
  async start(onChange: (affected: Affected) => Promise<void>): Promise<void> {
    this.onChange = onChange;
    await this.listen(false);
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

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnect) clearTimeout(this.reconnect);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
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

  private async listen(again: boolean): Promise<void> {
    const client = new pg.Client({ connectionString: this.config.DATABASE_URL, keepAlive: true });
    client.on('notification', (n) => this.notify(this.affected(n.payload ?? '')));
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.client = null;
      client.end().catch(() => undefined);
      if (this.stopped) return;
      this.logger.warn(`live: LISTEN connection lost (${err?.message ?? 'closed'}); reconnecting`);
      this.reconnect = setTimeout(() => { void this.listen(true); }, RECONNECT_MS);
    };
    client.on('error', lost);
    client.on('end', () => lost());
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${AUTH_CHANNEL}`);
      if (again) this.notify(this.affected(''));
    } catch (err) {
      lost(err as Error);
    }
  }
}
