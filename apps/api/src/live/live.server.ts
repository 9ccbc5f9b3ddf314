import type { Server as HttpServer } from 'node:http';
import { Injectable, Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Server } from 'socket.io';
import type { Namespace, Socket } from 'socket.io';
import { CHANGE_POSITION_PATTERN, LIVE_NAMESPACE } from '#contracts';
import type { LiveClientEvents, LiveServerEvents } from '#contracts';
import { AppConfig, AuthService, liveTransport, roomsOfActor, UsersRepository } from '#core';
import type { Actor, LiveTransport } from '#core';
import { SessionWatch } from './session-watch.js';

/** What a /live socket carries from its handshake. */
interface LiveSocketData {
  actor: Actor;
  /** The access token's expiry (ms since epoch). */
  exp: number;
  cursor: string | null;
  /** SessionWatch's notification count when the handshake began (a change during the handshake is checked at connect). */
  seen: number;
}

type LiveSocket = Socket<LiveClientEvents, LiveServerEvents, Record<string, never>, LiveSocketData>;

const CURSOR = new RegExp(CHANGE_POSITION_PATTERN);

/** A handshake refusal: the client's `connect_error` carries the message and `data` (a problem type and status). */
function refused(message: string, type: string, status: number): Error {
  return Object.assign(new Error(message), { data: { type: `urn:grid141:problem:${type}`, status } });
}

/** The `exp` claim of a token that has just been verified (seconds → ms). */
function expiryOf(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp: number };
  return payload.exp * 1000;
}

/**
 * The socket.io namespace `/live` on this API process (实时推送): the handshake's access token is verified exactly like
 * the HTTP guard, on every connection, reconnection and session recovery; the socket joins the rooms of its user's
 * jurisdiction (roomsOfActor); the worker's outbox relay emits the changes through the Redis Streams adapter. A socket
 * never outlives its session: it is disconnected when the session is revoked or the user's standing changes
 * (SessionWatch), and its transport is closed at the token's expiry so the client reconnects with a fresh token and
 * recovers what it missed.
 */
@Injectable()
export class LiveServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Live');
  private io?: Server<LiveClientEvents, LiveServerEvents, Record<string, never>, LiveSocketData>;
  private nsp?: Namespace<LiveClientEvents, LiveServerEvents, Record<string, never>, LiveSocketData>;
  private transport?: LiveTransport;
  private readonly expiry = new Map<string, NodeJS.Timeout>();

  constructor(private readonly http: HttpAdapterHost, private readonly config: AppConfig, private readonly auth: AuthService,
    private readonly users: UsersRepository, private readonly watch: SessionWatch) {}

  async onApplicationBootstrap(): Promise<void> {
    this.transport = await liveTransport(this.config, this.logger);
    this.io = new Server(this.http.httpAdapter.getHttpServer() as HttpServer, this.transport.options);
    // the main namespace serves nothing: without this, a socket could connect to it with no token at all
    this.io.of('/').use((_socket, next) => next(refused('only the /live namespace is served', 'not-found', 404)));
    this.nsp = this.io.of(LIVE_NAMESPACE);
    this.nsp.use((socket, next) => { this.authenticate(socket).then(() => next(), (err: Error) => next(err)); });
    this.nsp.on('connection', (socket) => this.connected(socket));
    this.watch.start((sessions) => this.recheck(sessions));
  }

  /** The HTTP guard's checks: a valid, unexpired token of a live session of an enabled user who need not change the password. */
  private async authenticate(socket: LiveSocket): Promise<void> {
    const auth = (socket.handshake.auth ?? {}) as { token?: unknown; cursor?: unknown };
    const token = auth.token;
    const seen = this.watch.notifications;
    if (typeof token !== 'string' || token === '' || token.length > 4096) {
      throw refused('an access token is required in auth.token', 'unauthorized', 401);
    }
    let actor: Actor;
    try {
      actor = await this.auth.verify(token);
    } catch {
      throw refused('access token is missing, invalid, expired or revoked', 'unauthorized', 401);
    }
    if (actor.mustChangePassword) {
      throw refused('the password must be changed first: POST /api/v1/auth/password', 'password-change-required', 403);
    }
    const cursor = typeof auth.cursor === 'string' && auth.cursor.length <= 39 && CURSOR.test(auth.cursor) ? auth.cursor : null;
    socket.data = { actor, exp: expiryOf(token), cursor, seen };
  }

  private connected(socket: LiveSocket): void {
    const { actor, exp, cursor } = socket.data;
    const rooms = roomsOfActor(actor);
    // a recovered socket gets its former rooms back: drop any its user no longer has (a changed jurisdiction)
    for (const room of socket.rooms) if (room !== socket.id && !rooms.includes(room)) void socket.leave(room);
    void socket.join(rooms);
    this.watch.add(actor.id, actor.sessionId, socket.id);
    // a revocation that arrived between the token check and now found no socket to act on: check this one again
    if (this.watch.notifications !== socket.data.seen) void this.recheck(new Map([[actor.sessionId, new Set([socket.id])]]));
    // at the token's expiry the transport is closed (not the socket): the client reconnects with a fresh token from its
    // auth callback and connection state recovery replays what it missed
    this.expiry.set(socket.id, setTimeout(() => socket.conn.close(), Math.max(0, exp - Date.now())));
    socket.on('disconnect', () => {
      clearTimeout(this.expiry.get(socket.id));
      this.expiry.delete(socket.id);
      this.watch.remove(actor.id, actor.sessionId, socket.id);
    });
    // to this socket on this process only: socket.emit would append it to the Redis stream (every socket message is
    // made replayable under connection state recovery), and a reconnection storm would fill the stream with resyncs
    if (!socket.recovered) this.nsp!.local.to(socket.id).emit('resync', { after: cursor, reason: 'not-recovered' });
  }

  /**
   * After a session or user change (SessionWatch): reads each affected session from the database (not the cache, which
   * may not have heard of the change yet) and disconnects the sockets of sessions no longer alive or whose user must
   * now change the password. A recovered or refreshed socket of an ended session cannot come back: the handshake fails.
   */
  private async recheck(sessions: Map<string, Set<string>>): Promise<void> {
    for (const [sessionId, socketIds] of sessions) {
      const sockets = [...socketIds].map((id) => this.nsp?.sockets.get(id)).filter((s): s is LiveSocket => s !== undefined);
      const first = sockets[0];
      if (!first) continue;
      let alive: Actor | null;
      try {
        alive = await this.users.activeSession(sessionId, first.data.actor.id);
      } catch (err) {
        this.logger.warn(`live: could not recheck session ${sessionId}: ${(err as Error).message}`);
        continue;
      }
      if (alive && !alive.mustChangePassword) {
        // the user's role, unit or jurisdiction may have changed: move the sockets to the rooms it now gives
        const rooms = roomsOfActor(alive);
        for (const s of sockets) {
          s.data.actor = alive;
          for (const room of s.rooms) if (room !== s.id && !rooms.includes(room)) void s.leave(room);
          void s.join(rooms);
        }
        continue;
      }
      for (const s of sockets) s.disconnect(true);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.watch.stop();
    for (const timer of this.expiry.values()) clearTimeout(timer);
    this.expiry.clear();
    // sockets are closed as "server shutting down" (their sessions saved for recovery on another process); socket.io also
    // stops the HTTP server, which Nest closes next anyway
    await this.io?.close();
    await this.transport?.close();
  }
}
