import { resolve } from 'node:path';
import { ESLint, RuleTester, type Rule } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import plugin from './workspace-boundaries.js';

const ROOT = resolve(import.meta.dirname, '../..');
const rule = plugin.rules!['no-foreign-internals'] as Rule.RuleModule;
const options = [{ root: ROOT, packages: ['apps/*', 'packages/*', 'e2e', 'bench', 'scripts', 'tools'] }];
const at = (path: string) => resolve(ROOT, path);

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;
const tester = new RuleTester({ languageOptions: { parser: tseslint.parser } });

describe('workspace-boundaries/no-foreign-internals', () => {
  tester.run('no-foreign-internals', rule, {
    valid: [
      { name: 'a package by name (its exports)', filename: at('bench/modules/api.ts'), code: "import { startApi } from '@apps/api';", options },
      { name: "a package's own sources from its tests", filename: at('apps/api/test/access.test.ts'), code: "import { createServer } from '../src/server.js';", options },
      { name: 'a sibling module', filename: at('e2e/flows.test.ts'), code: "import { signIn } from './op-pages.js';", options },
      { name: 'its own lib/', filename: at('bench/modules/api.ts'), code: "import { load } from '../lib/load.js';", options },
      { name: 'a shared root file, not a package', filename: at('apps/api/vitest.config.ts'), code: "import { appProject } from '../../vitest.shared.js';", options },
    ],
    invalid: [
      {
        name: "another app's src/",
        filename: at('bench/modules/growth.ts'),
        code: "import { openApiDatabase } from '../../apps/api/src/db/open.js';",
        options,
        errors: [{ messageId: 'internal', data: { source: '../../apps/api/src/db/open.js', target: 'apps/api', dir: 'src' } }],
      },
      {
        name: "another package's test helpers",
        filename: at('bench/lib/tokens.ts'),
        code: "import { startApi } from '../../apps/api/test/support.js';",
        options,
        errors: [{ messageId: 'internal', data: { source: '../../apps/api/test/support.js', target: 'apps/api', dir: 'test' } }],
      },
      {
        name: 'one app into another, type-only',
        filename: at('apps/auth/test/es256.test.ts'),
        code: "import type { TokenVerifier } from '../../api/src/auth/verifier.js';",
        options,
        errors: [{ messageId: 'internal' }],
      },
      {
        name: 'a re-export, and a dynamic import',
        filename: at('scripts/load.ts'),
        code: "export { OAuthClient } from '../packages/harness/src/oauth.js';\nawait import('../apps/shared/src/index.js');",
        options,
        errors: [{ messageId: 'internal' }, { messageId: 'internal' }],
      },
      {
        name: 'a file outside every package',
        filename: at('vitest.config.ts'),
        code: "import { x } from './apps/app/src/config.js';",
        options,
        errors: [{ messageId: 'internal' }],
      },
    ],
  });

  it("is on for every file of the repository's ESLint config", async () => {
    const eslint = new ESLint({ cwd: ROOT });
    for (const file of ['bench/run.ts', 'scripts/dev.js', 'apps/auth/test/flow.test.ts', 'packages/harness/src/stack.ts']) {
      const config = (await eslint.calculateConfigForFile(at(file))) as { rules: Record<string, unknown[]> };
      expect(config.rules['workspace-boundaries/no-foreign-internals']?.[0], file).toBe(2);
    }
  });
});
