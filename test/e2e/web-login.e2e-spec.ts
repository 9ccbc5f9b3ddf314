import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startWebStack } from './support/browser.js';
import type { WebStack } from './support/browser.js';

jest.setTimeout(60_000);

// Issue 9: the login page lands each role on its workspace; the pages are served by the API with their caching and
// security headers, and load nothing from another host.
let stack: WebStack;

beforeAll(async () => {
  stack = await startWebStack('web_login');
});
afterAll(async () => {
  await stack?.close();
});

describe('login page', () => {
  it.each([
    ['gw.330523001002001', '/grid/'],
    ['tw.330523001', '/township/'],
    ['h.330523001-JG', '/township/'],
    ['county.op', '/county/'],
    ['county.lead', '/county/'],
  ])('%s lands on %s', async (username, path) => {
    const p = await stack.person();
    await p.login(username);
    expect(new URL(p.page.url()).pathname).toBe(path);
    expect(p.external()).toEqual([]);
    await p.context.close();
  });

  it('a wrong password is refused in Chinese and stays on the login page', async () => {
    const p = await stack.person();
    await p.open('/');
    await p.page.fill('input[name=username]', 'county.op');
    await p.page.fill('input[name=password]', 'not-the-password');
    await p.page.click('button[type=submit]');
    await expect(p.page.locator('[role=alert]').textContent()).resolves.toContain('用户名或密码错误');
    expect(new URL(p.page.url()).pathname).toBe('/');
    await p.context.close();
  });

  it('a workspace opened without a session goes to the login page and back after it', async () => {
    const p = await stack.person();
    await p.open('/township/');
    await p.page.waitForURL(/\/\?next=/);
    await p.page.fill('input[name=username]', 'tw.330523001');
    await p.page.fill('input[name=password]', 'Grid141!demo');
    await p.page.click('button[type=submit]');
    await p.page.waitForURL(/\/township\/$/);
    await p.context.close();
  });

  it('a next that is not a page of this site is ignored (no open redirect)', async () => {
    const p = await stack.person();
    await p.open('/?next=https%3A%2F%2Fevil.example%2F');
    await p.page.fill('input[name=username]', 'county.op');
    await p.page.fill('input[name=password]', 'Grid141!demo');
    await p.page.click('button[type=submit]');
    await p.page.waitForURL(/\/county\/$/);
    expect(p.external()).toEqual([]);
    await p.context.close();
  });
});

describe('serving the pages', () => {
  it('pages are revalidated, hashed assets immutable, and pages carry a same-origin-only CSP', async () => {
    const page = await fetch(`${stack.url}/county/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await page.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${stack.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    // precompressed at build time: gzip for a browser that takes it, the same bytes once decoded; plain otherwise
    expect(js.headers.get('content-encoding')).toBe('gzip');
    expect(js.headers.get('content-type')).toMatch(/^(application|text)\/javascript/);
    const plain = await fetch(`${stack.url}${asset}`, { headers: { 'Accept-Encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(await js.text());
    // a malformed asset path is a client error, not a 500
    const bad = await fetch(`${stack.url}/assets/%E0%A4%A.js`, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
  });

  it('/grid redirects to /grid/, and the API paths are not shadowed by the pages', async () => {
    const res = await fetch(`${stack.url}/grid`, { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/grid/');
    const api = await fetch(`${stack.url}/api/v1/events`);
    expect(api.status).toBe(401);
    const cfg = await fetch(`${stack.url}/api/v1/web/config`);
    expect(cfg.status).toBe(200);
    expect(await cfg.json()).toEqual({ countyCode: '330523', countyName: '安吉县', tileUrl: null, tileAttribution: null });
  });
});
