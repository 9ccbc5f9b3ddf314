// Screenshots of the workspaces for the README, taken from a running platform (npm run demo): each page is opened by
// its demo user through the login page, in Debian's Chromium with the Chinese font, and saved to docs/screenshots/.
//   npm run screenshots                      (the demo on http://localhost:3000)
//   SCREENSHOT_BASE=http://host:port npm run screenshots
//   npm run screenshots -- grid county       (only these)
// The township console is 昌硕街道's (tw.330523002), where the living demo's reports are densest.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.SCREENSHOT_BASE ?? `http://localhost:${process.env.PORT ?? 3000}`;
const OUT = path.resolve(process.env.SCREENSHOT_DIR ?? 'docs/screenshots');
const PASSWORD = process.env.DEMO_PASSWORD ?? 'Grid141!demo';
const SHOTS = [
  { file: 'grid.png', user: 'gw.330523001002001', path: '/grid/', viewport: { width: 390, height: 844 }, mobile: true,
    ready: `document.documentElement.dataset.ready === '1'` },
  { file: 'township.png', user: 'tw.330523002', path: '/township/', viewport: { width: 1920, height: 1080 },
    ready: `!!document.querySelector('[data-test=live-state][data-state=live]') && document.querySelectorAll('[data-test=event-row]').length > 0`,
    // the first event of the queue open in the panel, with its actions
    prepare: async (page) => {
      await page.click('[data-test=event-row]');
      await page.waitForSelector('[data-test=event-panel][data-status]:not([data-status=""])');
    } },
  { file: 'county.png', user: 'county.op', path: '/county/', viewport: { width: 1920, height: 1080 },
    ready: `document.querySelectorAll('path.cm-village').length > 100 && !!document.querySelector('[data-test=conn-state][data-state=live]')` },
  { file: 'admin.png', user: 'admin', path: '/admin/', viewport: { width: 1600, height: 900 },
    ready: `document.querySelectorAll('.el-table__row').length > 0` },
];
const only = process.argv.slice(2);

mkdirSync(OUT, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
let failed = 0;
try {
  for (const shot of SHOTS.filter((s) => only.length === 0 || only.includes(s.file.replace('.png', '')))) {
    const context = await browser.newContext({
      viewport: shot.viewport, isMobile: !!shot.mobile, hasTouch: !!shot.mobile, deviceScaleFactor: shot.mobile ? 2 : 1,
      locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
      // the phone stands in its own grid (苕秀社区 第1网格: a point on the demo's generated polygon)
      ...(shot.mobile ? { geolocation: { latitude: 30.74875, longitude: 119.65655 }, permissions: ['geolocation'] } : {}),
    });
    const page = await context.newPage();
    const external = [];
    page.on('request', (r) => { if (new URL(r.url()).host !== new URL(BASE).host && !/^(data|blob):/.test(r.url())) external.push(r.url()); });
    try {
      await page.goto(`${BASE}/`);
      await page.fill('input[name=username]', shot.user);
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForURL(`**${shot.path}`, { timeout: 20_000 });
      await page.waitForLoadState('networkidle', { timeout: 20_000 });
      // each page's first data on screen (and its live connection up)
      await page.waitForFunction(shot.ready, undefined, { timeout: 30_000 });
      if (shot.prepare) await shot.prepare(page);
      await page.waitForLoadState('networkidle', { timeout: 20_000 });
      await page.screenshot({ path: path.join(OUT, shot.file) });
      console.log(`${shot.file}: ${shot.user} at ${shot.viewport.width}×${shot.viewport.height}${external.length ? ` (EXTERNAL REQUESTS: ${external.join(' ')})` : ''}`);
      if (external.length) failed++;
    } catch (err) {
      failed++;
      console.error(`${shot.file}: ${err.message}`);
    } finally {
      await context.close();
    }
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
