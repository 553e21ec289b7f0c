import { defineConfig } from 'vitest/config';

// Every suite starts real servers, kernels and browsers, so files run in separate
// processes, two at a time on these 2-core machines, with generous timeouts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
  },
});
