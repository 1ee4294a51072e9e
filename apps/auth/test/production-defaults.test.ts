import { Writable } from 'node:stream';
import { createLogger } from '@apps/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestStore, type TestStore } from '@kit/harness/store';
import { loadAuthConfig } from '../src/config.js';
import { CustomerStore } from '../src/customers/store.js';
import { openAuthDatabase } from '../src/db/open.js';
import { startServer } from '../src/server.js';

describe('starting the OP without demo users', () => {
  let store: TestStore | undefined;
  afterEach(async () => {
    await store?.cleanup();
  });

  /** Starts and stops the OP once; returns the messages of its warnings. */
  async function warningsOfStart(env: Record<string, string>): Promise<string[]> {
    const lines: Array<{ level: number; msg: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
        cb();
      },
    });
    const config = loadAuthConfig({ NODE_ENV: 'test', SEED_DEMO_USERS: 'false', ...store!.env, ...env });
    const service = await startServer(config, createLogger({ name: 'auth', level: 'warn' }, sink));
    await service.close();
    return lines.filter((l) => l.level === 40).map((l) => l.msg);
  }

  it('warns once, naming the commands that add customers, while the local store is empty', async () => {
    store = await createTestStore('sqlite');
    const empty = (await warningsOfStart({})).filter((m) => m.startsWith('no customers'));
    expect(empty).toHaveLength(1);
    expect(empty[0]).toContain('pnpm kit customers add');
    expect(empty[0]).toContain('pnpm kit customers import');

    const database = await openAuthDatabase(store.config);
    await new CustomerStore(database.db).add({ id: 'cust-1', email: 'a@example.test', name: 'A', passwordHash: null });
    await database.close();
    expect((await warningsOfStart({})).filter((m) => m.startsWith('no customers'))).toEqual([]);
  });

  it('does not warn when customers sign in at an upstream IdP', async () => {
    store = await createTestStore('sqlite');
    const upstream = { UPSTREAM_OIDC_ISSUER: 'http://127.0.0.1:9', UPSTREAM_OIDC_CLIENT_ID: 'op', UPSTREAM_OIDC_CLIENT_SECRET: 'secret' };
    expect((await warningsOfStart(upstream)).filter((m) => m.startsWith('no customers'))).toEqual([]);
  });

});
