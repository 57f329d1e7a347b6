import { defineConfig } from 'vitest/config';

// One run over every package and example, so that `pnpm test` ends with one total line.
// Each package may hold its own vitest.config.ts (timeouts, setup files); it is a project here.
export default defineConfig({
  test: {
    projects: ['packages/*', 'examples/*'],
    reporters: ['default', './scripts/vitest-totals-reporter.ts'],
  },
});
