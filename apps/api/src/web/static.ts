import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';

/** The built web pages: WEB_DIR, or dist/web of this installation (from the built API or from the sources). */
export function webDir(configured?: string): string | null {
  if (configured) return existsSync(path.join(configured, 'index.html')) ? configured : null;
  const here = path.dirname(fileURLToPath(import.meta.url)); // dist/apps/api/src/web or apps/api/src/web
  for (const up of ['../../../..', '../../../../..']) {
    const dir = path.resolve(here, up, 'dist/web');
    if (existsSync(path.join(dir, 'index.html'))) return dir;
  }
  return null;
}

/**
 * The Content-Security-Policy of the pages: everything from this server only (no CDN, no external font), except base
 * map tiles from the configured tile host.
 */
export function contentSecurityPolicy(tileUrl?: string): string {
  const tiles = tileUrl ? ` ${new URL(tileUrl.replace(/\{[a-z]\}/g, '0')).origin}` : '';
  return [
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", `img-src 'self' data: blob:${tiles}`,
    "connect-src 'self'", "font-src 'self' data:", "worker-src 'self'", "manifest-src 'self'", "object-src 'none'",
    "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Serves the web workspaces (/, /grid/, /township/, /county/) with their caching rules: hashed assets are immutable,
 * pages and the service worker are revalidated on every load (a new release is picked up at once).
 */
export function serveWeb(app: NestExpressApplication, dir: string, tileUrl?: string): void {
  const csp = contentSecurityPolicy(tileUrl);
  // hashed assets precompressed at build time (scripts/compress-web.mjs): sent as gzip to browsers that take it. The
  // build is fixed while the server runs, so the compressed names are read once (no file-system call per request).
  const assets = path.join(dir, 'assets');
  const compressed = new Set(existsSync(assets) ? readdirSync(assets).filter((f) => f.endsWith('.gz')).map((f) => f.slice(0, -3)) : []);
  app.use('/assets', (req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) return next();
    const name = req.path.slice(1); // hashed names are plain ([\w.-]): nothing to decode
    if (!compressed.has(name)) return next();
    const gz = path.join(assets, `${name}.gz`);
    res.setHeader('Content-Encoding', 'gzip');
    res.setHeader('Vary', 'Accept-Encoding');
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.type(path.extname(name));
    res.sendFile(gz);
  });
  app.useStaticAssets(dir, {
    index: 'index.html',
    redirect: true,
    setHeaders: (res: Response, file: string) => {
      const rel = path.relative(dir, file).split(path.sep).join('/');
      if (rel.startsWith('assets/')) {
        res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      } else {
        res.setHeader('Cache-Control', 'no-cache');
      }
      if (rel.endsWith('.html')) {
        res.setHeader('Content-Security-Policy', csp);
        res.setHeader('Referrer-Policy', 'same-origin');
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.setHeader('X-Frame-Options', 'DENY');
      }
    },
  });
}
