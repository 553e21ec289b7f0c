import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

// The client is a single page served by `tandem serve`: index.html at `/`, `/tree/*` and
// `/notebooks/*`, and hashed assets under `/assets/`. `@common` points at the schema shared
// with the server so both sides read the document the same way.
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [svelte()],
  resolve: {
    alias: { '@common': here('../common') },
  },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: true,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    // `vite dev` against a running `tandem serve`: set TANDEM_URL=http://127.0.0.1:8888
    proxy: process.env.TANDEM_URL
      ? {
          '/api': { target: process.env.TANDEM_URL, ws: true },
          '/files': process.env.TANDEM_URL,
        }
      : undefined,
  },
});
