import { defineConfig } from 'vitest/config';

// One `pnpm test` runs every app's suite; each app keeps its own vitest.config.ts.
export default defineConfig({
  test: {
    projects: ['apps/*/vitest.config.ts', 'packages/*/vitest.config.ts', 'scripts/vitest.config.ts', 'e2e/vitest.config.ts', 'bench/vitest.config.ts', 'tools/vitest.config.ts'],
  },
});
