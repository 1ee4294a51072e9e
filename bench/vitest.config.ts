import { defineProject } from 'vitest/config';

// Only the framework's own pieces are tested here; the benchmarks themselves print figures, they assert nothing.
// Workspace packages (@kit/harness) resolve to their TypeScript sources.
export default defineProject({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: { name: 'bench', include: ['test/**/*.test.ts'] },
});
