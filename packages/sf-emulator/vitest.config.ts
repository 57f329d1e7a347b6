import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: '@kicksaw/sf-emulator',
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // jsforce routes through proxies (ignoring NO_PROXY), also for 127.0.0.1.
    env: { http_proxy: '', https_proxy: '', HTTP_PROXY: '', HTTPS_PROXY: '' },
  },
});
