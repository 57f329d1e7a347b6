import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin, type ViteUserConfig } from 'vitest/config';

/**
 * The vitest config of the packages that run the shared lakehouse engine cases (lakehouse, the warehouse
 * engines): the sibling packages under work resolve to their source, so a stale or half-built dist never
 * matters, and no proxy of the machine stands between the tests and 127.0.0.1.
 *
 * @param configUrl `import.meta.url` of the package's vitest.config.ts (paths are relative to its folder).
 */
export function engineTestConfig(
  configUrl: string,
  extra: { aliases?: string[]; plugins?: Plugin[]; test?: NonNullable<ViteUserConfig['test']> } = {},
): ViteUserConfig {
  const source = (pkg: string) => fileURLToPath(new URL(`../${pkg}/src/index.ts`, configUrl));
  const packages = ['lakehouse', 'sf-bulk', 'sf-emulator', 'csv', ...(extra.aliases ?? [])];
  return defineConfig({
    plugins: extra.plugins ?? [],
    resolve: { alias: Object.fromEntries(packages.map((pkg) => [`@kicksaw/${pkg}`, source(pkg)])) },
    test: {
      testTimeout: 60_000,
      hookTimeout: 30_000,
      env: { http_proxy: '', https_proxy: '', HTTP_PROXY: '', HTTPS_PROXY: '' },
      ...extra.test,
    },
  });
}
