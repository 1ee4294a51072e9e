import { defineProject } from 'vitest/config';

// Only the framework's own pieces are tested here; the benchmarks themselves print figures, they assert nothing.
export default defineProject({
  test: { name: 'bench', include: ['test/**/*.test.ts'] },
});
