/**
 * The socket.io namespace `/live` (实时推送): the messages a screen receives, typed for socket.io's generic Server and
 * Socket (`Server<LiveClientEvents, LiveServerEvents>`, `Socket<LiveServerEvents, LiveClientEvents>`).
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { ChangeViewSchema, CHANGE_POSITION_PATTERN, LiveEventViewSchema } from './events.js';
import { Nullable, Shape, StringEnum } from './schema.js';

/** The namespace's path. */
export const LIVE_NAMESPACE = '/live';

/**
 * One committed change, as the feed (GET /changes) has it, with the event as a live audience sees it (grants instead of
 * one caller's allowedActions). `position` is the change's place in the feed: messages arrive in feed order, so the
 * last position received is a cursor to resume the feed from (`after`); a position at or below a client's cursor is
 * one it already has (at-least-once delivery: drop it).
 */
export const LiveChangeSchema = Shape('LiveChange', {
  position: ChangeViewSchema.properties.position,
  type: ChangeViewSchema.properties.type,
  fromStatus: ChangeViewSchema.properties.fromStatus,
  toStatus: ChangeViewSchema.properties.toStatus,
  fromLevel: ChangeViewSchema.properties.fromLevel,
  toLevel: ChangeViewSchema.properties.toLevel,
  at: ChangeViewSchema.properties.at,
  event: LiveEventViewSchema,
});
export type LiveChange = Static<typeof LiveChangeSchema>;

/**
 * Sent right after a connection whose missed messages could not be replayed (a first connection, a disconnection longer
 * than the recovery window, or a server that died without saving the session): read GET /changes from `after` until it
 * answers no items, dropping live changes at or below the cursor meanwhile. `after` is the cursor the client gave in
 * `auth.cursor`, or null when it gave none (then load the state afresh: GET /changes without `after` for the head).
 */
export const LiveResyncSchema = Shape('LiveResync', {
  after: Nullable(Type.String({ pattern: CHANGE_POSITION_PATTERN })),
  reason: StringEnum(['not-recovered'] as const),
});
export type LiveResync = Static<typeof LiveResyncSchema>;

/** What the client sends in the handshake (`auth`, or an `auth` callback that returns a fresh token on every reconnect). */
export interface LiveAuth {
  /** The access token (as in `Authorization: Bearer`). */
  token: string;
  /** The last position this client holds (a change's `position` or a feed page's `nextCursor`). */
  cursor?: string;
}

/** Server → client. */
export interface LiveServerEvents {
  change: (change: LiveChange) => void;
  resync: (resync: LiveResync) => void;
}

/** Client → server: nothing; the namespace only pushes. */
export type LiveClientEvents = Record<string, never>;
