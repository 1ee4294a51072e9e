import { defineProject } from 'vitest/config';

export default defineProject({
  // @kit/harness (the operator-docs reader) from its TypeScript sources.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: { name: 'scripts', include: ['test/**/*.test.ts'], testTimeout: 30_000 },
});
