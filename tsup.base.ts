import { defineConfig, type Options } from 'tsup';

/**
 * The one build configuration every published package shares: ESM only, `.d.ts`, Node 22.
 * A package's own `tsup.config.ts` is `export default kicksawTsup()` or names extra entry points.
 */
export function kicksawTsup(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node22',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    treeshake: true,
    ...overrides,
  });
}
