import { Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import { AppConfig } from '../config/app-config.js';
import type { Actor } from './actor.js';

/** The channel the `grid141_auth_changed` trigger notifies (migration AuthChangeNotify1796200000000). */
export const AUTH_CHANNEL = 'grid141_auth';
/** A cached session is re-read at least this often, even if a notification was lost without the connection noticing. */
export const SESSION_CACHE_TTL_MS = 10_000;
const MAX_ENTRIES = 50_000;
const RECONNECT_MS = 1_000;

interface Entry {
  actor: Actor;
  until: number;
}

/**
 * Which sessions are alive, remembered for a few seconds so that an authenticated request does not pay a database round
 * trip (measured: the per-request lookup cost ~18 % of report ingest). Correctness does not rest on the time limit:
 * a trigger NOTIFYs every API process at commit when a session is revoked or a user's standing changes, and this cache
 * drops the entry at once. The cache is used only while its LISTEN connection is up; when it drops, everything is
 * forgotten and every request reads the database until it is back. A generation counter keeps a lookup that raced an
 * invalidation from storing what it read.
 */
@Injectable()
export class SessionCache implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SessionCache');
  private readonly entries = new Map<string, Entry>();
  private readonly byUser = new Map<string, Set<string>>();
  private client: pg.Client | null = null;
  private listening = false;
  private stopped = false;
  private reconnect?: NodeJS.Timeout;
  /** Bumped by every invalidation; a lookup stores its result only if no invalidation happened meanwhile. */
  private generation = 0;
  private readonly listeners = new Set<(payload: string) => void>();

  constructor(private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    await this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.reconnect) clearTimeout(this.reconnect);
    this.listening = false;
    await this.client?.end().catch(() => undefined);
  }

  /**
   * Hears every notification after the cache has acted on it: `s:<session>`, `u:<user>`, or '' for "anything may have
   * changed" (after the LISTEN connection came back: a notification may have been missed meanwhile). Returns the
   * unsubscribe function. For holders of long-lived things tied to a session (the /live sockets).
   */
  subscribe(listener: (payload: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private tell(payload: string): void {
    for (const listener of this.listeners) listener(payload);
  }

  /** True while notifications arrive, i.e. while the cache may be used. */
  get active(): boolean {
    return this.listening;
  }

  /** The live session's actor, from the cache or from `load` (the database). */
  async get(sessionId: string, userId: string, load: () => Promise<Actor | null>): Promise<Actor | null> {
    if (this.listening) {
      const hit = this.entries.get(sessionId);
      if (hit && hit.until > Date.now() && hit.actor.id === userId) return hit.actor;
    }
    const generation = this.generation;
    const actor = await load();
    if (actor && this.listening && generation === this.generation) this.store(sessionId, actor);
    return actor;
  }

  /** Forgets a session (this process's own revocations, before the notification arrives). */
  forgetSession(sessionId: string): void {
    this.generation++;
    const entry = this.entries.get(sessionId);
    if (!entry) return;
    this.entries.delete(sessionId);
    this.byUser.get(entry.actor.id)?.delete(sessionId);
  }

  /** Forgets every session of a user. */
  forgetUser(userId: string): void {
    this.generation++;
    for (const sid of this.byUser.get(userId) ?? []) this.entries.delete(sid);
    this.byUser.delete(userId);
  }

  private forgetAll(): void {
    this.generation++;
    this.entries.clear();
    this.byUser.clear();
  }

  private store(sessionId: string, actor: Actor): void {
    if (this.entries.size >= MAX_ENTRIES) this.forgetAll();
    this.entries.set(sessionId, { actor, until: Date.now() + SESSION_CACHE_TTL_MS });
    let sessions = this.byUser.get(actor.id);
    if (!sessions) this.byUser.set(actor.id, (sessions = new Set()));
    sessions.add(sessionId);
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.config.DATABASE_URL, keepAlive: true });
    client.on('notification', (n) => {
      const payload = n.payload ?? '';
      if (payload.startsWith('s:')) this.forgetSession(payload.slice(2));
      else if (payload.startsWith('u:')) this.forgetUser(payload.slice(2));
      else this.forgetAll();
      this.tell(payload);
    });
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.listening = false;
      this.client = null;
      this.forgetAll();
      client.end().catch(() => undefined);
      if (this.stopped) return;
      this.logger.warn(`LISTEN connection lost (${err?.message ?? 'closed'}); sessions are read from the database until it is back`);
      this.reconnect = setTimeout(() => { void this.listen(); }, RECONNECT_MS);
    };
    client.on('error', lost);
    client.on('end', () => lost());
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${AUTH_CHANNEL}`);
      if (this.client === client && !this.stopped) {
        this.forgetAll(); // anything cached before this point may have missed a notification
        this.listening = true;
        this.tell('');
      }
    } catch (err) {
      lost(err as Error);
    }
  }
}
