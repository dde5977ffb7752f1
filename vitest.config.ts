import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

export default defineConfig({
  plugins: [vue()],
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/reference/**', 'test/e2e/**', '**/*.e2e.test.ts', 'node_modules/**'],
    // The engine is CPU-bound on 2 cores: keep files in separate processes, a few at a time.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
