// One multi-page build of the web workspaces (login, /grid, /township, /county) into dist/web, served by the API.
// Nothing is loaded from another host: scripts/check-web-offline.mjs fails the build when a built file references one.
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * Vendor strings that name another host, removed at build time so nothing can be fetched from outside:
 * - Vant's icon font (vant/es/icon/index.css) names a CDN copy (at.alicdn.com) after the inline woff2 as a fallback:
 *   the fallback is removed, the inline font is the only source (used by /grid);
 * - Leaflet's attribution prefix links to leafletjs.com: kept as plain text "Leaflet" without the link (any map page);
 * - socket.io-client's error text for a v2 server names its migration guide: the URL is dropped from the message;
 * - Element Plus's deprecation warnings link to its documentation site: the link is dropped (the warning text stays).
 */
function stripVantCdnFont(): Plugin {
  return {
    name: 'grid141-strip-vant-cdn-font',
    enforce: 'pre',
    transform(code, id) {
      const file = id.split('?')[0]!;
      if (/[\\/]vant[\\/].*\.css$/.test(file)) {
        return { code: code.replace(/,\s*url\((?:https?:)?\/\/at\.alicdn\.com[^)]*\)\s*format\(["']?woff["']?\)/g, ''), map: null };
      }
      if (/[\\/]leaflet[\\/]dist[\\/]leaflet-src(?:\.esm)?\.js$/.test(file)) {
        return { code: code.replace(/'<a href="https:\/\/leafletjs\.com"[^']*>'/, "'<span>'").replace("'Leaflet</a>'", "'Leaflet</span>'"), map: null };
      }
      if (/[\\/]socket\.io-client[\\/]build[\\/]esm[\\/]socket\.js$/.test(file)) {
        return { code: code.replace(' (more information here: https://socket.io/docs/v3/migrating-from-2-x-to-3-0/)', ''), map: null };
      }
      if (/[\\/]element-plus[\\/]es[\\/].*\.mjs$/.test(file) && code.includes('https://element-plus.org/')) {
        return { code: code.replace(/(["'`])https:\/\/element-plus\.org\/[^"'`]*\1/g, '""'), map: null };
      }
      return null;
    },
  };
}

export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [vue(), stripVantCdnFont()],
  resolve: {
    alias: {
      '@shared': here('./src/shared'),
      // the shapes the API answers with (types only, and plain constants such as labels: no server code)
      '@contracts': here('../../libs/contracts/src'),
    },
  },
  build: {
    outDir: here('../../dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      input: {
        login: here('./index.html'),
        grid: here('./grid/index.html'),
        township: here('./township/index.html'),
        county: here('./county/index.html'),
        admin: here('./admin/index.html'),
      },
    },
  },
});
