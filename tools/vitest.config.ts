import { defineProject } from 'vitest/config';

// The repository's own tooling (the ESLint plugin).
export default defineProject({
  test: { name: 'tools', include: ['**/*.test.ts'] },
});
