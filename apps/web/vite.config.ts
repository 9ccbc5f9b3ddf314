// One multi-page build of the web workspaces (login, /grid, /township, /county) into dist/web, served by the API.
// Nothing is loaded from another host: scripts/check-web-offline.mjs fails the build when a built file references one.
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [vue()],
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
      },
    },
  },
});
