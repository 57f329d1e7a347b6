import { defineConfig } from 'vitest/config';

// The files run in parallel (most of their time is spent waiting on the local org's job delays and on
// lease expiries, not on the CPU) and share each worker's loaded modules (`isolate: false`: every file
// starts its own S3 and org through `useHarness`, and no module keeps state between files), so the
// AWS SDK, jsforce and the emulator are loaded once per worker instead of once per file.
export default defineConfig({
  test: { testTimeout: 60_000, hookTimeout: 60_000, isolate: false, maxWorkers: 2 },
});
