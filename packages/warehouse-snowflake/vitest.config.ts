import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vitest/config';
import { engineTestConfig } from '../lakehouse/test/vitest-engine.js';

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
      return fileURLToPath(new URL('./test/engine-skips.ts', import.meta.url));
    }
    return null;
  },
};

export default engineTestConfig(import.meta.url, {
  plugins: [engineCaseSkips],
  aliases: ['snowflake-emulator', 'core'],
  test: {
    // One module graph for all files: snowflake-sdk and the two emulators take seconds to import, once is enough.
    isolate: false,
    // The driver must talk to 127.0.0.1 directly, never through a proxy of the machine.
    env: { http_proxy: '', https_proxy: '', HTTP_PROXY: '', HTTPS_PROXY: '', NO_PROXY: '127.0.0.1,localhost' },
  },
});
