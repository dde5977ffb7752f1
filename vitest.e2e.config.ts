import { defineConfig } from 'vitest/config';

// `npm run test:e2e`: the built UI in Debian's Chromium (playwright-core), served by
// `resnet-workbench serve` against the real engine, and the packaged app (electron-builder with a
// stand-in Electron) run from its packed files. One file at a time: they train real runs.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts', 'test/build/**/*.e2e.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
