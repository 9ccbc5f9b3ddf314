/**
 * The signed-in session of this browser: the token pair and who the user is, kept in localStorage so that a reload, a
 * second tab or a phone that was offline keeps working. Refresh tokens work once, so refreshing is serialised across
 * tabs with a Web Lock and re-reads the stored pair first: a tab that lost the race takes the winner's tokens instead
 * of reusing a spent one (which would end the session).
 */
import type { SessionTokens } from '@contracts/auth';

const KEY = 'grid141.session';

/** The tokens and the signed-in user (`user`) as login, refresh and password change answer them. */
export type StoredSession = SessionTokens;

export function loadSession(): StoredSession | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as StoredSession) : null;
  } catch {
    return null;
  }
}

export function saveSession(s: StoredSession): void {
  localStorage.setItem(KEY, JSON.stringify(s));
  listeners.forEach((fn) => fn(s));
}

export function clearSession(): void {
  localStorage.removeItem(KEY);
  listeners.forEach((fn) => fn(null));
}

const listeners = new Set<(s: StoredSession | null) => void>();
/** Called when this tab or another changes the session. */
export function onSessionChange(fn: (s: StoredSession | null) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
window.addEventListener('storage', (e) => {
  if (e.key === KEY) listeners.forEach((fn) => fn(loadSession()));
});

/** Seconds until the access token expires (negative when expired; 0 when it cannot be read). */
export function accessTokenSecondsLeft(token: string): number {
  try {
    const claims = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: number };
    return claims.exp ? claims.exp - Date.now() / 1000 : 0;
  } catch {
    return 0;
  }
}

export class SessionEnded extends Error {
  constructor() {
    super('登录已失效，请重新登录');
  }
}

/**
 * A fresh access token: `stale` is the token that was just refused (or is about to expire). Throws SessionEnded when
 * the session is over (refresh refused) and a TypeError when the network is down (keep the session, try later).
 */
export async function refreshAccess(stale: string): Promise<string> {
  const run = async (): Promise<string> => {
    const now = loadSession();
    if (!now) throw new SessionEnded();
    if (now.accessToken !== stale && accessTokenSecondsLeft(now.accessToken) > 30) return now.accessToken;
    const res = await fetch('/api/v1/auth/refresh', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refreshToken: now.refreshToken }),
    });
    if (res.status === 401) { clearSession(); throw new SessionEnded(); }
    if (!res.ok) throw new TypeError(`refresh failed: ${res.status}`);
    const tokens = (await res.json()) as SessionTokens;
    saveSession(tokens);
    return tokens.accessToken;
  };
  return navigator.locks ? navigator.locks.request('grid141.refresh', run) : run();
}

/** Where each role works after signing in. */
export function homeOf(role: string): string {
  switch (role) {
    case 'grid_worker': return '/grid/';
    case 'township_dispatcher':
    case 'handler': return '/township/';
    case 'admin': return '/admin/';
    default: return '/county/';
  }
}

/** Sends the browser to the login page, coming back here afterwards. */
export function toLogin(): never {
  location.assign(`/?next=${encodeURIComponent(location.pathname + location.search)}`);
  throw new SessionEnded();
}
