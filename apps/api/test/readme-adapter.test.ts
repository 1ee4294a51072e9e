import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SOURCES } from './support.js';

const root = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const README = readFileSync(root('README.md'), 'utf8');

/** The README's "Your own data adapter" section, up to the next heading of the same or a higher level. */
function section(): string {
  const start = README.indexOf('\n### Your own data adapter\n');
  expect(start, 'README has a "Your own data adapter" section').toBeGreaterThan(0);
  const rest = README.slice(start + 1);
  const end = rest.slice(1).search(/\n#{2,3} /);
  return end < 0 ? rest : rest.slice(0, end + 1);
}

describe('README: your own data adapter', () => {
  it('shows exactly the skeleton the route tests run against', () => {
    const blocks = [...section().matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const skeleton = readFileSync(fileURLToPath(new URL('./adapter-skeleton.ts', import.meta.url)), 'utf8');
    // In the README the adapter lives in src/core/, beside the port.
    expect(blocks[0]).toBe(skeleton.replaceAll("'../src/data-source.js'", "'../data-source.js'"));
    expect(SOURCES).toContain('core adapter');
  });

  it('shows a main.ts change that applies to main.ts as it is', () => {
    const diff = /```diff\n([\s\S]*?)```/.exec(section())![1]!;
    const removed = diff.split('\n').filter((line) => line.startsWith('-')).map((line) => line.slice(1));
    expect(removed).toHaveLength(1);
    expect(readFileSync(root('apps/api/src/main.ts'), 'utf8').split('\n')).toContain(removed[0]);
  });

  it('names files that exist', () => {
    for (const path of ['apps/api/src/data-source.ts', 'apps/api/src/db/sql-data-source.ts', 'apps/api/src/memory/memory-data-source.ts', 'apps/api/src/pdf/statement-pdf.ts', 'apps/api/src/main.ts', 'apps/api/test/support.ts', 'apps/api/test/adapter-skeleton.ts']) {
      expect(section(), path).toContain(path.replace(/^apps\/api\//, ''));
      expect(existsSync(root(path)), path).toBe(true);
    }
  });
});
