import pg from 'pg';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { configureEnv, dbUrl, DEMO_PASSWORD, dropDatabase, freshDatabase, waitFor } from './harness.js';
import { spawnApi, spawnWorker } from './processes.js';
import type { AppProcess } from './processes.js';

/**
 * The platform as users meet it, for browser tests: the built API (serving the built pages, dist/web) and the worker
 * (the outbox relay that feeds /live, the SLA timers) as child processes on a fresh database, and Debian's Chromium
 * driven by playwright-core. Pages are opened in their own browser contexts (separate storage, like separate people).
 */
export interface WebStack {
  url: string;
  db: pg.Pool;
  dbName: string;
  api: AppProcess;
  worker: AppProcess;
  browser: Browser;
  /** A new browser context (one person's browser) that records every request it makes. */
  person: (opts?: PersonOptions) => Promise<Person>;
  close: () => Promise<void>;
}

export interface PersonOptions {
  viewport?: { width: number; height: number };
  /** A phone: touch, mobile viewport, device scale 2. */
  mobile?: boolean;
  /** Grant geolocation at this point (WGS84). */
  geolocation?: { latitude: number; longitude: number };
}

export interface Person {
  context: BrowserContext;
  page: Page;
  /** Every request made by this person's pages and service workers. */
  requests: string[];
  /** The requests to any host other than the stack's (must stay empty: no CDN, no external font, no tiles). */
  external: () => string[];
  /** Signs in through the login page and waits for the workspace the role lands on. */
  login: (username: string, password?: string) => Promise<void>;
  /** Opens a path of the stack (e.g. `/county/`). */
  open: (path: string) => Promise<void>;
}

/** The Chromium flags for this machine's closed network (no background connections to Google's hosts). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

export async function startWebStack(label: string, env: Record<string, string> = {}): Promise<WebStack> {
  const { name } = await freshDatabase(label);
  configureEnv(name, env);
  // all three, or none: a part that started is stopped when another fails (else its process outlives the run)
  const parts = await Promise.allSettled([spawnApi(), spawnWorker(), launchChromium()]);
  if (parts.some((p) => p.status === 'rejected')) {
    const [a, w, b] = parts;
    await Promise.all([
      a.status === 'fulfilled' ? a.value.stop('SIGKILL') : undefined,
      w.status === 'fulfilled' ? w.value.stop('SIGKILL') : undefined,
      b.status === 'fulfilled' ? b.value.close() : undefined,
    ]);
    await dropDatabase(name);
    throw (parts.find((p) => p.status === 'rejected') as PromiseRejectedResult).reason;
  }
  const [api, worker, browser] = parts.map((p) => (p as PromiseFulfilledResult<unknown>).value) as [AppProcess, AppProcess, Browser];
  const db = new pg.Pool({ connectionString: dbUrl(name), max: 3 });
  db.on('error', () => undefined);
  const origin = new URL(api.url).host;
  const contexts: BrowserContext[] = [];
  const person = async (opts: PersonOptions = {}): Promise<Person> => {
    const context = await browser.newContext({
      viewport: opts.viewport ?? (opts.mobile ? { width: 390, height: 844 } : { width: 1600, height: 900 }),
      isMobile: opts.mobile ?? false, hasTouch: opts.mobile ?? false, deviceScaleFactor: opts.mobile ? 2 : 1,
      locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
      ...(opts.geolocation ? { geolocation: opts.geolocation, permissions: ['geolocation'] } : {}),
    });
    contexts.push(context);
    const requests: string[] = [];
    const record = (r: Request) => { requests.push(r.url()); };
    context.on('request', record);
    const page = await context.newPage();
    const open = async (path: string) => { await page.goto(`${api.url}${path}`); };
    return {
      context, page, requests,
      external: () => requests.filter((u) => {
        if (/^(data|blob|about|chrome-extension):/.test(u)) return false;
        try { return new URL(u).host !== origin; } catch { return true; }
      }),
      open,
      login: async (username, password = DEMO_PASSWORD) => {
        await open('/');
        await page.fill('input[name=username]', username);
        await page.fill('input[name=password]', password);
        await page.click('button[type=submit]');
        await page.waitForURL(/\/(grid|township|county|admin)\/$/, { timeout: 15_000 });
      },
    };
  };
  return {
    url: api.url, db, dbName: name, api, worker, browser, person,
    close: async () => {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await Promise.all([api.stop(), worker.stop()]);
      await db.end();
      await dropDatabase(name);
    },
  };
}

/** Waits until `locator`'s text satisfies `test` (a condition with a deadline, never a sleep). */
export async function waitForText(page: Page, selector: string, test: (text: string) => boolean, timeoutMs = 10_000): Promise<string> {
  return waitFor(`${selector} text`, async () => {
    const text = await page.locator(selector).first().textContent({ timeout: 1000 }).catch(() => null);
    return text !== null && test(text) ? text : null;
  }, timeoutMs, 50);
}
