import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Test against core's source, so a stale or half-built dist never matters.
    alias: {
      '@kicksaw/core': fileURLToPath(new URL('../core/src/index.ts', import.meta.url)),
    },
  },
  test: {
    name: '@kicksaw/snowflake-emulator',
    include: ['test/**/*.test.ts'],
    // One module graph for all files: snowflake-sdk takes seconds to import, once is enough.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // The driver must talk to 127.0.0.1 directly, never through a proxy of the machine.
    env: { http_proxy: '', https_proxy: '', HTTP_PROXY: '', HTTPS_PROXY: '', NO_PROXY: '127.0.0.1,localhost' },
  },
});
