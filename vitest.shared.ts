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
      // Packages that publish their TypeScript under a "source" export condition too (eventsource-parser,
      // used by the MCP SDK's client): Node cannot strip types under node_modules, so Vite transforms them.
      server: { deps: { inline: ['@modelcontextprotocol/sdk', 'eventsource-parser'] } },
      ...overrides,
    },
  });
}
