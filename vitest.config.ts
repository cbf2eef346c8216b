import { defineConfig } from 'vitest/config';

// Separate from vite.config.ts, whose root is web/. Unit tests run in Node from the
// repository root; tests/guest boot the built guest in v86 under Node (no browser).
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/guest/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
  },
});
