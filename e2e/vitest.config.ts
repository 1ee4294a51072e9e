import { defineProject } from 'vitest/config';

// The whole stack (three services + Caddy + Chromium) starts once per file: generous timeouts,
// files one after another.
export default defineProject({
  // @kit/harness (the stack starter, clients, temporary databases) from its TypeScript sources.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    name: 'e2e',
    root: import.meta.dirname,
    include: ['**/*.test.ts'],
    // The compose test runs on its own, last (e2e/compose/vitest.config.ts, `pnpm test:compose`).
    exclude: ['compose/**', '**/node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 240_000,
    fileParallelism: false,
    // The MCP SDK's client imports eventsource-parser, which also publishes TypeScript under "source".
    server: { deps: { inline: [/@modelcontextprotocol\/sdk\/dist\/esm\/client\//, 'eventsource-parser'] } },
  },
});
