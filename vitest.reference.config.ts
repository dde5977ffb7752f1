import { defineConfig } from 'vitest/config';

// `npm run test:reference`: checks against a live PyTorch (Debian's python3-torch and
// python3-torchvision). Installs nothing; fails with a clear message where PyTorch is missing.
export default defineConfig({
  test: {
    include: ['test/reference/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 1_200_000,
    hookTimeout: 1_200_000,
  },
});
