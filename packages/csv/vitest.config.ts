import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { name: '@kicksaw/csv', testTimeout: 60_000 } });
