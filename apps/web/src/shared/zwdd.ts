/**
 * 浙政钉 免登 (login without a password inside the 浙政钉 container) for the login page. The page only ever obtains a
 * one-time auth code and hands it to the API (`POST /api/v1/auth/zwdd`), which exchanges it with 浙政钉 on the server:
 * who the user is never comes from the page.
 *
 * Where the code comes from, in order:
 *  1. `?authCode=` (or `?auth_code=`) in the page's address: how the container's 免登 entry URL or a developer (the
 *     province sandbox's `POST /_sandbox/auth-code`) hands it over;
 *  2. the container's JSAPI, when the container exposes it to the page as `window.dd` with `getAuthCode` (gdt-jsapi's
 *     call). No SDK is loaded from another host: the pages' CSP (`script-src 'self'`) would refuse it anyway.
 */
import type { SessionTokens } from '@contracts/auth';
import type { ProblemBody } from '@contracts/problem';

interface ZwddBridge {
  getAuthCode: (options: { corpId?: string }) => Promise<{ code?: string; auth_code?: string; authCode?: string }>;
}

const CODE_PARAMS = ['authCode', 'auth_code'] as const;

function bridge(): ZwddBridge | null {
  const dd = (window as unknown as { dd?: Partial<ZwddBridge> }).dd;
  return dd && typeof dd.getAuthCode === 'function' ? (dd as ZwddBridge) : null;
}

/** Whether the 浙政钉 container's JSAPI is on this page (a 浙政钉登录 button then makes sense). */
export function zwddBridgeAvailable(): boolean {
  return bridge() !== null;
}

/** The auth code of the page's address, if any. */
export function authCodeFromUrl(): string | null {
  const q = new URLSearchParams(location.search);
  for (const name of CODE_PARAMS) {
    const v = q.get(name);
    if (v) return v;
  }
  return null;
}

/**
 * Takes the code out of the address (history.replaceState): it works once, and a reload, a bookmark or the browser's
 * history must not replay a spent one.
 */
export function dropAuthCodeFromUrl(): void {
  const url = new URL(location.href);
  let changed = false;
  for (const name of CODE_PARAMS) if (url.searchParams.has(name)) { url.searchParams.delete(name); changed = true; }
  if (changed) history.replaceState(history.state, '', url.pathname + url.search + url.hash);
}

/** A code from the container's JSAPI (null without one, or when it does not answer within `timeoutMs`). */
export async function authCodeFromBridge(timeoutMs = 5000): Promise<string | null> {
  const dd = bridge();
  if (!dd) return null;
  try {
    const res = await Promise.race([
      dd.getAuthCode({}),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs)),
    ]);
    return res?.code ?? res?.auth_code ?? res?.authCode ?? null;
  } catch {
    return null;
  }
}

/** What the login page shows for each refusal (the API's problem types; its detail says the same in English too). */
const MESSAGES: Record<string, string> = {
  'urn:grid141:problem:zwdd-code-refused': '浙政钉免登码无效或已过期，请从浙政钉重新进入，或使用用户名和密码登录',
  'urn:grid141:problem:zwdd-unknown-account': '您的浙政钉账号尚未绑定本系统账号，请联系管理员绑定，或使用用户名和密码登录',
  'urn:grid141:problem:zwdd-account-disabled': '账号已停用，请联系管理员',
  'urn:grid141:problem:zwdd-not-configured': '本系统未启用浙政钉登录，请使用用户名和密码登录',
  'urn:grid141:problem:zwdd-unavailable': '浙政钉暂时无法访问，请稍后重试，或使用用户名和密码登录',
  'urn:grid141:problem:zwdd-gateway-refused': '浙政钉登录暂不可用（网关配置有误），请联系管理员，或使用用户名和密码登录',
};

export type ZwddLoginResult = { ok: true; tokens: SessionTokens } | { ok: false; status: number; message: string };

/** Exchanges the code on the server: the tokens of a new session, or the Chinese reason of the refusal. */
export async function loginWithZwdd(authCode: string): Promise<ZwddLoginResult> {
  let res: Response;
  try {
    res = await fetch('/api/v1/auth/zwdd', { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ authCode }) });
  } catch {
    return { ok: false, status: 0, message: '无法连接服务器，请检查网络' };
  }
  let body: unknown = null;
  try { body = await res.json(); } catch { body = null; }
  if (res.status === 200 && body) return { ok: true, tokens: body as SessionTokens };
  const type = (body as ProblemBody | null)?.type ?? '';
  const message = MESSAGES[type]
    ?? (res.status === 400 ? '浙政钉免登码格式不正确，请从浙政钉重新进入，或使用用户名和密码登录'
      : res.status === 401 ? '浙政钉登录失败，请使用用户名和密码登录'
        : `浙政钉登录失败（${res.status}），请使用用户名和密码登录`);
  return { ok: false, status: res.status, message };
}
