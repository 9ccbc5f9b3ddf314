/*
 * The service worker of the grid worker's page (scope /grid/): the app shell works without a network.
 * - The page (/grid/, and the manifest and icon beside it): network first, so a new release is picked up at once; the
 *   cached copy when the network fails or has not answered within NETWORK_WAIT_MS (a weak signal outdoors).
 * - Hashed assets (/assets/…): cache first; they never change under a name. Kept on first use, and those the page
 *   names are fetched when the worker installs. At most MAX_ASSETS are kept (the oldest go first).
 * - The API (/api/…) and everything else: not touched (the page keeps reports in IndexedDB, not here).
 * Copied as it is into dist/web/grid/sw.js by Vite (apps/web/public); served with Cache-Control: no-cache.
 */
const SHELL_CACHE = 'grid141-grid-shell-v1';
const ASSET_CACHE = 'grid141-grid-assets-v1';
const PAGE = '/grid/';
const NETWORK_WAIT_MS = 4000;
const MAX_ASSETS = 80;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    try {
      const res = await fetch(PAGE, { cache: 'no-cache', credentials: 'same-origin' });
      if (res.ok) {
        const html = await res.clone().text();
        await (await caches.open(SHELL_CACHE)).put(PAGE, res);
        const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
        const cache = await caches.open(ASSET_CACHE);
        await Promise.all(assets.map(async (a) => { if (!(await cache.match(a))) await cache.add(a).catch(() => undefined); }));
      }
    } catch {
      // offline while installing: the page and assets are cached as they are fetched
    }
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('grid141-grid-') && name !== SHELL_CACHE && name !== ASSET_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/assets/')) {
    event.respondWith(cacheFirst(req));
  } else if (req.mode === 'navigate' && url.pathname.startsWith('/grid/')) {
    event.respondWith(networkFirst(req, PAGE));
  } else if (url.pathname === '/grid/manifest.webmanifest' || url.pathname === '/grid/icon.svg') {
    event.respondWith(networkFirst(req, url.pathname));
  }
});

async function cacheFirst(req) {
  const cache = await caches.open(ASSET_CACHE);
  const hit = await cache.match(req, { ignoreSearch: true });
  if (hit) return hit;
  const res = await fetch(req);
  if (res.ok && res.type === 'basic') {
    await cache.put(req, res.clone());
    void trim(cache);
  }
  return res;
}

async function networkFirst(req, key) {
  const cache = await caches.open(SHELL_CACHE);
  const network = fetch(req).then(async (res) => {
    if (res.ok && res.type === 'basic' && !res.redirected) await cache.put(key, res.clone());
    else if (res.status >= 500) return (await cache.match(key)) ?? res; // a server in trouble: the kept copy
    return res;
  });
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(resolve, NETWORK_WAIT_MS, null); });
  try {
    const res = await Promise.race([network, late]);
    if (res) return res;
    const cached = await cache.match(key);
    if (cached) {
      network.catch(() => undefined); // keeps the fresh copy for the next load
      return cached;
    }
    return await network;
  } catch (e) {
    const cached = await cache.match(key);
    if (cached) return cached;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

async function trim(cache) {
  const keys = await cache.keys();
  for (const k of keys.slice(0, Math.max(0, keys.length - MAX_ASSETS))) await cache.delete(k);
}
