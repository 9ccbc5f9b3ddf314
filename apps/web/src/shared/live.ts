/**
 * The live connection every workspace uses: socket.io `/live` with a fresh access token on every (re)connect, the
 * change feed as the source of truth (GET /changes), and each change applied exactly once in feed order.
 *
 * - On start the page loads its state, then connects with the cursor it loaded at (`head`).
 * - `change` messages are applied when their position is past the cursor (at-least-once delivery: older ones dropped).
 * - `resync` (a connection the server could not recover): read the feed from the cursor until it is empty, holding
 *   live messages meanwhile and applying the held ones after.
 * - The state a page shows: 'connecting' | 'live' | 'offline', and the time of the last change or successful read.
 */
import { io } from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import type { ChangePage, ChangeView, EventView, LiveEventView } from '@contracts/events';
import type { SessionUser } from '@contracts/auth';
import type { LiveChange, LiveResync } from '@contracts/live';
import { actionsFor } from '@contracts/actions';
import { api, qs } from './api';
import { accessTokenSecondsLeft, loadSession, refreshAccess, SessionEnded, toLogin } from './session';

export type LiveState = 'connecting' | 'live' | 'offline';

/** One change as a page applies it: the event as this user sees it (allowedActions picked from the grants). */
export interface AppliedChange {
  position: string;
  type: ChangeView['type'];
  fromStatus: ChangeView['fromStatus'];
  toStatus: ChangeView['toStatus'];
  at: string;
  event: EventView;
  /** true when it came from a feed read (a resync), false when pushed live. */
  fromFeed: boolean;
}

function cmp(a: string, b: string): number {
  const [ax, ai] = a.split('.').map(BigInt);
  const [bx, bi] = b.split('.').map(BigInt);
  return ax !== bx ? (ax < bx ? -1 : 1) : ai === bi ? 0 : ai < bi ? -1 : 1;
}

/** A live event view turned into the view this user gets from the API (allowedActions instead of grants). */
export function viewFor(event: LiveEventView, me: Pick<SessionUser, 'id' | 'role' | 'unitCode'>): EventView {
  const { grants, ...rest } = event;
  return { ...rest, allowedActions: actionsFor(event, me) } as EventView;
}

export interface LiveOptions {
  /** The cursor the page's loaded state corresponds to (GET /changes without `after` gives the head). */
  cursor: string;
  onChange: (change: AppliedChange) => void;
  onState?: (state: LiveState, lastUpdate: Date | null) => void;
  /** Called when the feed cannot be read from the cursor (e.g. too old): reload the page's state. */
  onReload?: () => void;
}

export class LiveConnection {
  private socket: Socket | null = null;
  private cursor: string;
  private held: LiveChange[] | null = null;
  private state: LiveState = 'connecting';
  private lastUpdate: Date | null = null;
  private me: SessionUser;

  constructor(private readonly opts: LiveOptions) {
    this.cursor = opts.cursor;
    const s = loadSession();
    if (!s) toLogin();
    this.me = s!.user;
  }

  /** The head of the feed: the cursor to load a page's state at. */
  static async head(): Promise<string> {
    return (await api<ChangePage>('/changes?limit=1')).nextCursor;
  }

  start(): void {
    const socket = io('/live', {
      transports: ['websocket'],
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      auth: (cb) => {
        this.freshToken().then((token) => cb({ token, cursor: this.cursor }), () => cb({ token: '', cursor: this.cursor }));
      },
    });
    this.socket = socket;
    socket.on('connect', () => this.setState('live'));
    socket.on('disconnect', (reason) => {
      this.setState('offline');
      // the server closed it (token expired, session revoked): socket.io does not retry those by itself
      if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 500);
    });
    socket.on('connect_error', (err: Error & { data?: { status?: number } }) => {
      this.setState('offline');
      if (err.data?.status === 401) {
        const s = loadSession();
        if (s) refreshAccess(s.accessToken).catch((e) => { if (e instanceof SessionEnded) toLogin(); });
      }
    });
    socket.on('change', (change: LiveChange) => {
      if (this.held) this.held.push(change);
      else this.applyLive(change);
    });
    socket.on('resync', (r: LiveResync) => {
      this.held ??= [];
      void this.readFeed(r.after ?? this.cursor);
    });
    // a tab woken from sleep or a network that came back: reconnect now rather than at the next back-off step
    window.addEventListener('online', this.onOnline);
  }

  stop(): void {
    window.removeEventListener('online', this.onOnline);
    this.socket?.close();
    this.socket = null;
  }

  private readonly onOnline = (): void => {
    if (this.socket && !this.socket.connected) this.socket.connect();
  };

  get connected(): boolean {
    return this.state === 'live';
  }

  private async freshToken(): Promise<string> {
    const s = loadSession();
    if (!s) throw new SessionEnded();
    if (accessTokenSecondsLeft(s.accessToken) > 20) return s.accessToken;
    return refreshAccess(s.accessToken);
  }

  private setState(state: LiveState): void {
    this.state = state;
    if (state === 'live') this.lastUpdate = new Date();
    this.opts.onState?.(state, this.lastUpdate);
  }

  private applyLive(change: LiveChange): void {
    if (cmp(change.position, this.cursor) <= 0) return;
    this.cursor = change.position;
    this.lastUpdate = new Date();
    this.opts.onChange({
      position: change.position, type: change.type, fromStatus: change.fromStatus, toStatus: change.toStatus, at: change.at,
      event: viewFor(change.event, this.me), fromFeed: false,
    });
    this.opts.onState?.(this.state, this.lastUpdate);
  }

  private async readFeed(after: string): Promise<void> {
    let cursor = after;
    try {
      for (;;) {
        const page = await api<ChangePage>(`/changes${qs({ after: cursor, limit: 500 })}`);
        for (const item of page.items) {
          if (cmp(item.position, this.cursor) <= 0) continue;
          this.cursor = item.position;
          this.opts.onChange({ ...item, fromFeed: true });
        }
        cursor = page.nextCursor;
        if (page.items.length === 0) break;
      }
      if (cmp(cursor, this.cursor) > 0) this.cursor = cursor;
      const held = this.held ?? [];
      this.held = null;
      for (const c of held) this.applyLive(c);
      this.lastUpdate = new Date();
      this.opts.onState?.(this.state, this.lastUpdate);
    } catch {
      // the feed could not be read (network down, cursor refused): the page reloads its state and reconnects
      this.held = null;
      this.opts.onReload?.();
    }
  }
}
