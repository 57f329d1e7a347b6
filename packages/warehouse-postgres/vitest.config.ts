import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Test against the source of sibling packages under work, so a stale or half-built dist never matters.
    alias: {
      '@kicksaw/lakehouse': source('../lakehouse/src/index.ts'),
      '@kicksaw/sf-bulk': source('../sf-bulk/src/index.ts'),
      '@kicksaw/sf-emulator': source('../sf-emulator/src/index.ts'),
      '@kicksaw/csv': source('../csv/src/index.ts'),
    },
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 30_000,
    env: { http_proxy: '', https_proxy: '', HTTP_PROXY: '', HTTPS_PROXY: '' },
  },
});
