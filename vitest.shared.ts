import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

/** Every app's tests resolve workspace packages to their TypeScript sources. */
export function appProject(name: string, overrides: UserWorkspaceConfig['test'] = {}) {
  return defineProject({
    resolve: { conditions: ['source'] },
    ssr: { resolve: { conditions: ['source'] } },
    test: {
      name,
      include: ['test/**/*.test.ts'],
      testTimeout: 20_000,
      hookTimeout: 60_000,
      // eventsource-parser (imported by the MCP SDK's client) publishes its TypeScript under a "source"
      // export condition too, which Node cannot load from node_modules: Vite transforms the client and it.
      server: { deps: { inline: [/@modelcontextprotocol\/sdk\/dist\/esm\/client\//, 'eventsource-parser'] } },
      ...overrides,
    },
  });
}
