import { defineConfig } from 'vitest/config';

// The files share each worker's loaded modules (`isolate: false`: every file starts its own S3 and org
// through `useHarness`, and no module keeps state between files), so the AWS SDK, jsforce and the
// emulator are loaded once per worker instead of once per file. The number of workers is left to the
// run: a project of the root `vitest run` may not set its own `maxWorkers` without a group of its own.
export default defineConfig({
  test: { testTimeout: 60_000, hookTimeout: 60_000, isolate: false },
});
