import type { Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import type { AuthDatabase, AuthSchema } from '../src/db/schema.js';
import { openAuthDatabase } from '../src/db/open.js';
import { devSigningKeys } from '../src/keys/dev-keys.js';

/**
 * The same database, but the first query's answer is held until `resume()`: a start that has
 * read the stored keys and not yet written, while another start runs to the end.
 */
function pausedAfterFirstRead(db: Kysely<AuthSchema>) {
  let reached!: () => void;
  let resume!: () => void;
  const hasRead = new Promise<void>((r) => (reached = r));
  const resumed = new Promise<void>((r) => (resume = r));
  let first = true;
  const paused = db.withPlugin({
    transformQuery: (args) => args.node,
    async transformResult(args) {
      if (first) {
        first = false;
        reached();
        await resumed;
      }
      return args.result;
    },
  });
  return { db: paused, hasRead, resume };
}

const ktys = (set: { keys: { kty: string }[] }) => set.keys.map((k) => k.kty);

describe.each(ENGINES)('development signing keys on %s', (engine) => {
  let store: TestStore;
  let a: AuthDatabase;
  let b: AuthDatabase;

  beforeAll(async () => {
    store = await createTestStore(engine);
    // Two connections (pools) to one database, as two OP processes would have.
    a = await openAuthDatabase(store.config);
    b = await openAuthDatabase(store.config);
  });
  beforeEach(async () => {
    await a.db.deleteFrom('op_secrets').execute();
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await store?.cleanup();
  });

  it('creates one RSA key for RS256 and keeps returning it', async () => {
    const first = await devSigningKeys(a.db, 'RS256');
    expect(ktys(first)).toEqual(['RSA']);
    expect(await devSigningKeys(b.db, 'RS256')).toEqual(first);
  });

  it('lets two first starts asking for ES256 agree on one RSA + EC set', async () => {
    const slow = pausedAfterFirstRead(b.db);
    const late = devSigningKeys(slow.db, 'ES256');
    await slow.hasRead; // it saw no keys
    const fast = await devSigningKeys(a.db, 'ES256');
    slow.resume();
    expect(ktys(fast)).toEqual(['RSA', 'EC']);
    expect(await late).toEqual(fast);
  });

  it('adds an EC key to a stored RS256 set, keeping the RSA key, once for two concurrent starts', async () => {
    const before = await devSigningKeys(a.db, 'RS256');
    const slow = pausedAfterFirstRead(b.db);
    const late = devSigningKeys(slow.db, 'ES256');
    await slow.hasRead; // it saw the RSA-only set
    const fast = await devSigningKeys(a.db, 'ES256');
    slow.resume();
    expect(ktys(fast)).toEqual(['RSA', 'EC']);
    expect(fast.keys[0]).toEqual(before.keys[0]);
    expect(await late).toEqual(fast);
    // Back to RS256: the EC key stays published, nothing is dropped.
    expect(await devSigningKeys(a.db, 'RS256')).toEqual(fast);
  });

  it('gives an RS256 start that raced an ES256 start the same RSA key', async () => {
    const slow = pausedAfterFirstRead(b.db);
    const late = devSigningKeys(slow.db, 'RS256');
    await slow.hasRead;
    const fast = await devSigningKeys(a.db, 'ES256');
    slow.resume();
    expect(await late).toEqual(fast);
  });
});
