import { defineProject } from 'vitest/config';

// The compose test (`pnpm test:compose`): not one of `pnpm test`'s projects; scripts/test.sh runs it
// last, after scripts/docker/engine.sh up. One file, long timeouts (image builds, containers).
export default defineProject({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    name: 'compose',
    root: import.meta.dirname,
    include: ['*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 1_200_000,
    fileParallelism: false,
  },
});
