/**
 * The API client of every page: JSON over fetch with the session's bearer token, one refresh on a 401, and the API's
 * problem+json answers turned into ApiError with the message and the fields it names (shown in Chinese by the pages).
 */
import type { ProblemBody } from '@contracts/problem';
import { loadSession, refreshAccess, SessionEnded, toLogin } from './session';

export class ApiError extends Error {
  constructor(readonly status: number, readonly problem: ProblemBody | null) {
    super(problem?.errors?.length ? problem.errors.map((e) => `${e.field}: ${e.message}`).join('；') : problem?.detail ?? `HTTP ${status}`);
  }
  /** A definitive answer: the request reached the API and was judged (4xx other than 401/408/429). */
  get definitive(): boolean {
    return this.status >= 400 && this.status < 500 && ![401, 408, 429].includes(this.status);
  }
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** FormData is sent as is (multipart). */
  form?: FormData;
  signal?: AbortSignal;
  /** Do not send the user to the login page when the session has ended (the caller handles SessionEnded). */
  noRedirect?: boolean;
}

/** The full response (status and body) of an API call under /api/v1. */
export async function apiResponse<T>(path: string, opts: RequestOptions = {}): Promise<{ status: number; body: T }> {
  const session = loadSession();
  if (!session) {
    if (opts.noRedirect) throw new SessionEnded();
    toLogin();
  }
  const send = (token: string) => fetch(`/api/v1${path}`, {
    method: opts.method ?? (opts.body !== undefined || opts.form ? 'POST' : 'GET'),
    headers: {
      Authorization: `Bearer ${token}`,
      Accept: 'application/json',
      ...(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    body: opts.form ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined),
    signal: opts.signal,
  });
  let res = await send(session!.accessToken);
  if (res.status === 401) {
    try {
      res = await send(await refreshAccess(session!.accessToken));
    } catch (e) {
      if (e instanceof SessionEnded && !opts.noRedirect) toLogin();
      throw e;
    }
    if (res.status === 401) {
      if (opts.noRedirect) throw new SessionEnded();
      toLogin();
    }
  }
  const text = await res.text();
  let body: unknown = null;
  if (text) {
    try { body = JSON.parse(text); } catch { body = null; }
  }
  if (!res.ok) throw new ApiError(res.status, body as ProblemBody | null);
  return { status: res.status, body: body as T };
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  return (await apiResponse<T>(path, opts)).body;
}

/** A query string from the defined, non-empty values. */
export function qs(params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
