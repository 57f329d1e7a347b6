import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The shared lakehouse engine cases import `vitest` themselves; for those files (engine-cases.ts, engine-cases-more.ts), `vitest` resolves to
 * test/engine-skips.ts, which skips (by name, with the reason in the name) the cases the local Snowflake
 * cannot run yet. Every other file gets the real vitest.
 */
const engineCaseSkips: Plugin = {
  name: 'kicksaw-engine-case-skips',
  enforce: 'pre',
  resolveId(id, importer) {
    if (id === 'vitest' && /\/lakehouse\/test\/engine-cases(-more)?\.ts$/.test(importer?.replaceAll('\\', '/') ?? '')) {
      return source('./test/engine-skips.ts');
    }
    return null;
  },
};

export default defineConfig({
  plugins: [engineCaseSkips],
  resolve: {
    // Test against the source of sibling packages under work, so a stale or half-built dist never matters.
    alias: {
      '@kicksaw/lakehouse': source('../lakehouse/src/index.ts'),
      '@kicksaw/sf-bulk': source('../sf-bulk/src/index.ts'),
      '@kicksaw/sf-emulator': source('../sf-emulator/src/index.ts'),
      '@kicksaw/snowflake-emulator': source('../snowflake-emulator/src/index.ts'),
      '@kicksaw/csv': source('../csv/src/index.ts'),
      '@kicksaw/core': source('../core/src/index.ts'),
    },
  },
  test: {
    // One module graph for all files: snowflake-sdk and the two emulators take seconds to import, once is enough.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // The driver must talk to 127.0.0.1 directly, never through a proxy of the machine.
    env: { http_proxy: '', https_proxy: '', HTTP_PROXY: '', HTTPS_PROXY: '', NO_PROXY: '127.0.0.1,localhost' },
  },
});
