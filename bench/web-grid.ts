/**
 * /grid on a weak phone network: how long the grid worker's page takes to be usable after the first visit, on a
 * "slow 3G" link (400 kbit/s each way, 400 ms round trip), and how much JavaScript it loads (gzip). Targets: ≤ 1 s and
 * ≤ 100 KB gzip (issue 9, outcome 4).
 *   npm run bench -- web-grid        (BENCH_RUNS: loads per profile, default 15; BENCH_WEB_DIR: measure pages built there)
 *
 * Real Chromium (Debian's, via playwright-core) as a phone (390 × 844, touch), the built API serving the built pages on a
 * fresh demo database. The first visit signs in and lets the service worker install; each measured load then opens
 * /grid/ again in the same browser (the session and caches kept, as on the phone the next morning).
 * Two ways of making the network slow:
 * - `link`: every byte between Chromium and the API goes through a throttling TCP relay (latency added to each packet
 *   in each direction, bandwidth shared per direction), like a phone's radio link: it slows the page, the service
 *   worker's own fetches and the socket alike. The target is judged on this one.
 * - `cdp`: Chromium's own emulation (CDP Network.emulateNetworkConditions on the page), as DevTools' throttling does it.
 * "ready" is the moment the page is usable (the form drawn with what the phone kept: performance mark `grid-ready`),
 * measured from navigation start; "load" is the load event.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { benchDatabase, percentile, ROOT, startProcess, table } from './support.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const PORT = 3946;
const RELAY_PORT = 3947;
const DOWN_KBIT = 400;
const UP_KBIT = 400;
const RTT_MS = 400;
/**
 * The pages measured: built for this run into a directory of its own (dist/web is shared: another build may replace it
 * while the bench runs), or BENCH_WEB_DIR as it is.
 */
const WEB = process.env.BENCH_WEB_DIR ?? mkdtempSync(path.join(tmpdir(), 'grid141-bench-web-'));
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** The JavaScript of /grid: the chunks its page names, and every chunk they import (also dynamically), gzip level 9. */
function pageJs(page: string): { initial: number; all: number; files: Array<{ file: string; bytes: number; gzip: number; initial: boolean }> } {
  const html = readFileSync(path.join(WEB, page, 'index.html'), 'utf8');
  const initial = [...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]!);
  const read = (file: string) => readFileSync(path.join(WEB, 'assets', file));
  // static imports load with the page; dynamic ones (import(`./x.js`) and Vite's preload list "assets/x.js") on demand
  const statics = (text: string) => [...text.matchAll(/\bfrom\s*["'`]\.\/([^"'`]+\.js)["'`]|\bimport\s*["'`]\.\/([^"'`]+\.js)["'`]/g)].map((m) => (m[1] ?? m[2])!);
  const dynamics = (text: string) => [...text.matchAll(/\bimport\s*\(\s*["'`]\.\/([^"'`]+\.js)["'`]|["'`]assets\/([^"'`]+\.js)["'`]/g)].map((m) => (m[1] ?? m[2])!);
  const closure = (roots: string[], withDynamic: boolean) => {
    const seen = new Set<string>();
    const walk = (f: string) => {
      if (seen.has(f)) return;
      seen.add(f);
      const text = read(f).toString('utf8');
      for (const g of [...statics(text), ...(withDynamic ? dynamics(text) : [])]) walk(g);
    };
    roots.forEach(walk);
    return seen;
  };
  const atStart = closure(initial, false);
  const files = [...closure(initial, true)].map((file) => {
    const code = read(file);
    return { file, bytes: code.length, gzip: gzipSync(code, { level: 9 }).length, initial: atStart.has(file) };
  });
  const sum = (xs: typeof files) => xs.reduce((a, f) => a + f.gzip, 0);
  return { initial: sum(files.filter((f) => f.initial)), all: sum(files), files };
}

/**
 * A throttling TCP relay: each chunk waits for its turn on the shared link of its direction (bandwidth), then half the
 * round trip (latency). Chunks of one direction leave in order.
 */
function startRelay(port: number, target: number): { server: net.Server; setThrottled: (on: boolean) => void; idle: () => Promise<void> } {
  let throttled = false;
  let pending = 0;
  let drained: Array<() => void> = [];
  const free = { down: 0, up: 0 };
  const rate = { down: (DOWN_KBIT * 1000) / 8 / 1000, up: (UP_KBIT * 1000) / 8 / 1000 }; // bytes per ms
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    const last = { down: 0, up: 0 };
    const send = (dir: 'down' | 'up', to: net.Socket, what: Buffer | 'end') => {
      if (!throttled) {
        if (what === 'end') to.end(); else to.write(what);
        return;
      }
      const now = performance.now();
      const bytes = what === 'end' ? 0 : what.length;
      free[dir] = Math.max(free[dir], now) + bytes / rate[dir];
      const at = Math.max(last[dir], free[dir] + RTT_MS / 2);
      last[dir] = at;
      pending += 1;
      setTimeout(() => {
        pending -= 1;
        if (what === 'end') to.end(); else if (!to.destroyed) to.write(what);
        if (pending === 0) { const d = drained; drained = []; d.forEach((fn) => fn()); }
      }, at - now);
    };
    client.on('data', (b) => send('up', upstream, b));
    upstream.on('data', (b) => send('down', client, b));
    client.on('end', () => send('up', upstream, 'end'));
    upstream.on('end', () => send('down', client, 'end'));
    const drop = () => { client.destroy(); upstream.destroy(); };
    client.on('error', drop);
    upstream.on('error', drop);
  });
  server.listen(port, '127.0.0.1');
  return {
    server, setThrottled: (on) => { throttled = on; },
    // nothing in flight on the link (the previous load's last answers delivered)
    idle: () => (pending === 0 ? Promise.resolve() : new Promise<void>((r) => drained.push(r))),
  };
}

/** The little of the page's globals the bench reads. */
interface Browserish {
  navigator: { serviceWorker?: { controller: unknown } };
  document: { querySelector: (s: string) => { textContent: string | null } | null };
  localStorage: { getItem: (k: string) => string | null };
}

interface Load { ready: number; load: number; bytes: number; fromSw: boolean }

async function measure(page: Page, url: string, before?: () => Promise<void>): Promise<Load> {
  // a quiet start: the previous page gone and the link idle (as when the phone opens the page again later)
  await page.goto('about:blank');
  await before?.();
  const res = await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
  await page.waitForSelector('html[data-ready="1"]', { timeout: 60_000 });
  // (page code as text: the bench is compiled without the DOM's types)
  const t = await page.evaluate(`(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const ready = performance.getEntriesByName('grid-ready')[0]?.startTime ?? NaN;
    const bytes = performance.getEntriesByType('resource').reduce((a, r) => a + (r.transferSize || 0), 0) + (nav.transferSize || 0);
    const mark = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
    return { ready, load: nav.loadEventEnd, bytes, html: nav.responseEnd, dcl: nav.domContentLoadedEventEnd, mounted: mark('grid-mounted') };
  })()`) as { ready: number; load: number; bytes: number; html: number; dcl: number; mounted: number };
  if (process.env.BENCH_VERBOSE) console.log(JSON.stringify(t));
  return { ...t, fromSw: res?.fromServiceWorker() ?? false };
}

async function signIn(context: BrowserContext, origin: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  await page.fill('input[name=username]', 'gw.330523001002001');
  await page.fill('input[name=password]', 'Grid141!demo');
  await page.click('button[type=submit]');
  await page.waitForURL(/\/grid\/$/, { timeout: 30_000 });
  await page.waitForSelector('html[data-ready="1"]', { timeout: 30_000 });
  // (page code reaches the DOM through globalThis: the bench is compiled without the DOM's types)
  await page.waitForFunction(() => (globalThis as unknown as Browserish).navigator.serviceWorker?.controller !== null, undefined, { timeout: 30_000 });
  // what the page keeps for offline use is in IndexedDB once the first answers are in
  await page.waitForFunction(() => (globalThis as unknown as Browserish).document.querySelector('[data-testid=net-state]')?.textContent === '在线',
    undefined, { timeout: 30_000 });
  return page;
}

function summary(name: string, loads: Load[]): Record<string, string | number> {
  const ready = loads.map((l) => l.ready).sort((a, b) => a - b);
  const load = loads.map((l) => l.load).sort((a, b) => a - b);
  return {
    profile: name, runs: loads.length, 'ready p50 ms': Math.round(percentile(ready, 50)), 'ready p90 ms': Math.round(percentile(ready, 90)),
    'ready max ms': Math.round(ready[ready.length - 1]!), 'load p50 ms': Math.round(percentile(load, 50)),
    'transferred KB': (loads.reduce((a, l) => a + l.bytes, 0) / loads.length / 1024).toFixed(1),
    'page from SW': `${loads.filter((l) => l.fromSw).length}/${loads.length}`,
  };
}

if (!process.env.BENCH_WEB_DIR) {
  execFileSync('npx', ['vite', 'build', '--config', 'apps/web/vite.config.ts', '--logLevel', 'error', '--outDir', WEB, '--emptyOutDir'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('node', ['scripts/check-web-offline.mjs', WEB], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}
const js = pageJs('grid');
console.log('\n/grid JavaScript (gzip -9):');
table(js.files.map((f) => ({ file: f.file, bytes: f.bytes, 'gzip KB': (f.gzip / 1024).toFixed(1), loaded: f.initial ? 'at start' : 'on demand' })));

const db = await benchDatabase('web_grid');
let browser: Browser | null = null;
const relay = startRelay(RELAY_PORT, PORT);
const api = await startProcess('dist/apps/api/src/main.js', {
  DATABASE_URL: db.url, PORT: String(PORT), LOG_LEVEL: 'error', API_PROCESSES: '1', WEB_DIR: WEB,
  JWT_SECRET: randomBytes(48).toString('base64url'), PII_KEY: randomBytes(48).toString('base64'), DB_POOL_SIZE: '5', REDIS_PREFIX: `bench_webgrid_${Date.now()}`,
}, `http://127.0.0.1:${PORT}/health/live`);
try {
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  const phone = {
    viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
    geolocation: { latitude: 30.74875, longitude: 119.656553 }, permissions: ['geolocation'],
  };
  const external: string[] = [];
  const watch = (c: BrowserContext, origin: string) => c.on('request', (r) => { if (!r.url().startsWith(origin) && !/^(data|blob):/.test(r.url())) external.push(r.url()); });

  // link: through the throttling relay (first visit unthrottled: sign in, service worker installed)
  const linkOrigin = `http://127.0.0.1:${RELAY_PORT}`;
  const linkCtx = await browser.newContext(phone);
  watch(linkCtx, linkOrigin);
  const linkPage = await signIn(linkCtx, linkOrigin);
  relay.setThrottled(true);
  const cold = await (async () => {
    // for comparison: a first visit on the slow link (another phone: nothing cached, signed in by its stored session)
    const c = await browser!.newContext(phone);
    watch(c, linkOrigin);
    const state = await linkPage.evaluate(() => (globalThis as unknown as Browserish).localStorage.getItem('grid141.session'));
    await c.addInitScript(`if (!localStorage.getItem('grid141.session')) localStorage.setItem('grid141.session', ${JSON.stringify(state)});`);
    const p = await c.newPage();
    const l = await measure(p, `${linkOrigin}/grid/`, relay.idle);
    await c.close();
    return l;
  })();
  const linkLoads: Load[] = [];
  for (let i = 0; i < RUNS; i++) linkLoads.push(await measure(linkPage, `${linkOrigin}/grid/`, relay.idle));
  relay.setThrottled(false);
  await linkCtx.close();

  // cdp: Chromium's emulation on the page, straight to the API
  const cdpOrigin = `http://127.0.0.1:${PORT}`;
  const cdpCtx = await browser.newContext(phone);
  watch(cdpCtx, cdpOrigin);
  const cdpPage = await signIn(cdpCtx, cdpOrigin);
  const cdp = await cdpCtx.newCDPSession(cdpPage);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: RTT_MS, downloadThroughput: (DOWN_KBIT * 1000) / 8, uploadThroughput: (UP_KBIT * 1000) / 8,
  });
  const cdpLoads: Load[] = [];
  for (let i = 0; i < RUNS; i++) cdpLoads.push(await measure(cdpPage, `${cdpOrigin}/grid/`));
  await cdpCtx.close();

  console.log(`\n/grid loads after the first visit, slow 3G (${DOWN_KBIT} kbit/s down, ${UP_KBIT} kbit/s up, ${RTT_MS} ms RTT), phone viewport:`);
  const rows = [summary('link (throttling relay)', linkLoads), summary('cdp (Chromium emulation)', cdpLoads),
    { ...summary('link, first visit (no cache)', [cold]) }];
  table(rows);
  if (external.length) console.log(`\nrequests to other hosts: ${external.length} (${[...new Set(external)].slice(0, 5).join(', ')})`);
  const readyLink = linkLoads.map((l) => l.ready).sort((a, b) => a - b);
  const readyCdp = cdpLoads.map((l) => l.ready).sort((a, b) => a - b);
  const result = {
    bench: 'web-grid', runs: RUNS, profile: { downKbit: DOWN_KBIT, upKbit: UP_KBIT, rttMs: RTT_MS },
    jsGzipKB: Number((js.all / 1024).toFixed(1)), jsGzipInitialKB: Number((js.initial / 1024).toFixed(1)), jsTargetKB: 100,
    readyP50Ms: Math.round(percentile(readyLink, 50)), readyP90Ms: Math.round(percentile(readyLink, 90)), readyMaxMs: Math.round(readyLink[readyLink.length - 1]!),
    cdpReadyP50Ms: Math.round(percentile(readyCdp, 50)), cdpReadyP90Ms: Math.round(percentile(readyCdp, 90)),
    firstVisitReadyMs: Math.round(cold.ready), targetMs: 1000, externalRequests: external.length,
    pass: js.all <= 100 * 1024 && percentile(readyLink, 90) <= 1000 && external.length === 0,
  };
  console.log(JSON.stringify(result));
} finally {
  await browser?.close().catch(() => undefined);
  relay.server.close();
  api.kill();
  await db.drop();
  if (!process.env.BENCH_WEB_DIR) rmSync(WEB, { recursive: true, force: true });
}
