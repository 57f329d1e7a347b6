import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Test against the source of sibling packages under work, so a stale or half-built dist never matters.
    alias: {
      '@kicksaw/sf-emulator': fileURLToPath(new URL('../sf-emulator/src/index.ts', import.meta.url)),
      '@kicksaw/csv': fileURLToPath(new URL('../csv/src/index.ts', import.meta.url)),
    },
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 30_000,
    env: { http_proxy: '', https_proxy: '', HTTP_PROXY: '', HTTPS_PROXY: '' },
  },
});
