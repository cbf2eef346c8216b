import { defineConfig } from 'vitest/config';

// Separate from vite.config.ts, whose root is web/: unit tests run in Node
// from the repository root and only ever pick up tests/unit.
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
  },
});
