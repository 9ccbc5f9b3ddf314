// One multi-page build of the web workspaces (login, /grid, /township, /county) into dist/web, served by the API.
// Nothing is loaded from another host: scripts/check-web-offline.mjs fails the build when a built file references one.
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * Vant's icon font (vant/es/icon/index.css) names a CDN copy (at.alicdn.com) after the inline woff2 as a fallback: the
 * fallback is removed, so the inline font is the only source and nothing is fetched from outside (used by /grid).
 */
function stripVantCdnFont(): Plugin {
  return {
    name: 'grid141-strip-vant-cdn-font',
    enforce: 'pre',
    transform(code, id) {
      if (!/[\\/]vant[\\/].*\.css$/.test(id.split('?')[0]!)) return null;
      return { code: code.replace(/,\s*url\((?:https?:)?\/\/at\.alicdn\.com[^)]*\)\s*format\(["']?woff["']?\)/g, ''), map: null };
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
