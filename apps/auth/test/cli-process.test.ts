import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CLIENT } from '@kit/harness/oauth';
import { createTestStore, type TestStore } from '@kit/harness/store';

const KIT = fileURLToPath(new URL('../../../scripts/kit.js', import.meta.url));

describe('node scripts/kit.js (the real command, as a child process)', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore('sqlite');
  });
  afterAll(async () => {
    await store?.cleanup();
  });

  const kit = (...argv: string[]) =>
    spawnSync(process.execPath, [KIT, ...argv], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NODE_ENV: 'test', OIDC_CLIENTS: JSON.stringify([TEST_CLIENT]), ...store.env },
    });

  it('adds a client and lists it as JSON; exit codes follow the outcome', () => {
    const added = kit('clients', 'add', '--name', 'Child', '--redirect-uri', 'https://child.example.test/cb', '--id', 'child', '--json');
    expect(added.stderr).toBe('');
    expect(added.status).toBe(0);
    const secret = (JSON.parse(added.stdout) as { clientSecret: string }).clientSecret;

    const listed = kit('clients', 'list', '--json');
    expect(listed.status).toBe(0);
    const clients = JSON.parse(listed.stdout) as { clientId: string; source: string }[];
    expect(clients.map((c) => [c.clientId, c.source])).toEqual([
      ['test-rp', 'static'],
      ['child', 'cli'],
    ]);
    expect(listed.stdout).not.toContain(secret);

    const missing = kit('clients', 'show', 'nobody');
    expect(missing.status).toBe(3);
    expect(missing.stderr).toBe('pnpm kit clients show: no client nobody\n');
    const usage = kit('grants', 'list');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('give --customer <id> or --client <id>');
  });
});
