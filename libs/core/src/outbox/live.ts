import { once } from 'node:events';
import { Logger } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import type { ServerOptions } from 'socket.io';
import type { Actor } from '../auth/actor.js';
import type { AppConfig } from '../config/app-config.js';
import type { EventRow } from '../events/event.model.js';

/**
 * Lengths of the region codes of the 141 hierarchy (county 6, township 9, village/community 12, grid 15 digits): an
 * event is announced to the room of each of its region code's prefixes of these lengths.
 */
export const REGION_CODE_LENGTHS = [6, 9, 12, 15] as const;

/** Room names of /live: a region code (region roles), a unit (handlers), one user (a grid worker's own reports). */
export const liveRoom = {
  region: (code: string) => `r:${code}`,
  unit: (code: string) => `u:${code}`,
  user: (id: string) => `p:${id}`,
};

/**
 * The rooms a user's socket joins, mirroring visibility() in events.repository.ts: region roles the room of their
 * jurisdiction code; a handler the room of its unit; a grid worker also the room of their own id.
 */
export function roomsOfActor(actor: Pick<Actor, 'id' | 'role' | 'unitCode' | 'jurisdictionCode'>): string[] {
  switch (actor.role) {
    case 'handler':
      return actor.unitCode ? [liveRoom.unit(actor.unitCode)] : [];
    case 'grid_worker':
      return [liveRoom.region(actor.jurisdictionCode), liveRoom.user(actor.id)];
    default:
      return [liveRoom.region(actor.jurisdictionCode)];
  }
}

/** The rooms a change to an event goes to: its region code and its ancestors, the units involved, the reporter. */
export function roomsOfEvent(row: Pick<EventRow, 'regionCode' | 'involvedUnitCodes' | 'reporterId'>): string[] {
  const rooms = REGION_CODE_LENGTHS.filter((n) => row.regionCode.length >= n).map((n) => liveRoom.region(row.regionCode.slice(0, n)));
  for (const unit of row.involvedUnitCodes) rooms.push(liveRoom.unit(unit));
  if (row.reporterId) rooms.push(liveRoom.user(row.reporterId));
  return [...new Set(rooms)];
}

/** socket.io options shared by the API processes (which hold the sockets) and the worker (which only emits). */
export interface LiveTransport {
  options: Partial<ServerOptions>;
  /** Ends every Redis connection the adapter opened (after the server's namespaces' adapters are closed). */
  close(): Promise<void>;
}

/** What shutdown needs of a Redis connection. */
type Connection = { isReady: boolean; destroy(): void } & NodeJS.EventEmitter;

/** How long shutdown waits for the replies of commands already sent (e.g. Redis unreachable) before dropping them. */
const CLOSE_GRACE_MS = 2_000;

/** How long the adapter's stream reader blocks on XREAD; its connection is destroyed on shutdown, so it may be long. */
const XREAD_BLOCK_MS = 30_000;

/**
 * The Redis Streams adapter (`@socket.io/redis-streams-adapter`) with connection state recovery: every broadcast is
 * appended to one stream that each process reads, and a socket that comes back within `LIVE_RECOVERY_SECONDS` — to any
 * process — gets what it missed replayed from that stream. The stream keeps about `LIVE_STREAM_MAXLEN` entries.
 *
 * The adapter opens its own connections by duplicating the client it is given and closes its stream reader only after a
 * pending XREAD returns; the duplicates are tracked here so shutdown ends them at once instead of holding the process
 * for the block time.
 */
export async function liveTransport(config: AppConfig, logger = new Logger('Live')): Promise<LiveTransport> {
  const client = createClient({ url: config.REDIS_URL });
  const opened: Connection[] = [client];
  const duplicate = client.duplicate.bind(client);
  client.duplicate = ((...args: Parameters<typeof duplicate>) => {
    const copy = duplicate(...args);
    opened.push(copy);
    return copy;
  }) as typeof client.duplicate;
  let warned = false;
  client.on('error', (err: Error) => { if (!warned) { warned = true; logger.warn(`live Redis connection: ${err.message}`); } });
  client.on('ready', () => { warned = false; });
  await client.connect();
  const prefix = `${config.REDIS_PREFIX}:live`;
  const adapter = createAdapter(client, {
    streamName: `${prefix}:stream`,
    channelPrefix: `${prefix}:sio`,
    sessionKeyPrefix: `${prefix}:session:`,
    maxLen: config.LIVE_STREAM_MAXLEN,
    blockTimeInMs: XREAD_BLOCK_MS,
  });
  // the adapter connects its duplicates in the background; wait for them, so that closing never races a connect
  const ready = Promise.all(opened.map((c) => (c.isReady ? undefined : once(c, 'ready'))));
  await Promise.race([ready, new Promise((_, reject) => setTimeout(() => reject(new Error('live Redis connections not ready in 10 s')), 10_000).unref())]);
  return {
    options: {
      adapter,
      // websocket only: no long-polling, so API processes behind node:cluster or a balancer need no sticky sessions
      transports: ['websocket'],
      serveClient: false,
      // clients send nothing but the handshake (a token and a cursor)
      maxHttpBufferSize: 16_384,
      connectionStateRecovery: { maxDisconnectionDuration: config.LIVE_RECOVERY_SECONDS * 1000, skipMiddlewares: false },
    },
    close: async () => {
      // the adapter's own connections (a blocked XREAD, the subscriber) at once; the main one after its pending replies:
      // it carries the sessions that closing the server has just saved for recovery on another process
      for (const c of opened.slice(1)) c.destroy();
      const drained = client.close();
      const timer = setTimeout(() => client.destroy(), CLOSE_GRACE_MS);
      await drained;
      clearTimeout(timer);
    },
  };
}
