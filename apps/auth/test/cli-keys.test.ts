import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, OAuthClient } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { openAuthDatabase } from '../src/db/open.js';
import type { AuthDatabase } from '../src/db/schema.js';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';
import { json, kitFor, type KitResult } from './helpers/kit.js';

interface Key {
  kid: string;
  alg: string;
  source: string;
  state: string;
  signingFrom: string | null;
  stoppedSigningAt: string | null;
}

const HOUR = 3_600_000;

describe.each(ENGINES)('pnpm kit keys on %s', (engine) => {
  let store: TestStore;
  let auth: TestAuth;
  let database: AuthDatabase;
  let kit: (...argv: string[]) => Promise<KitResult>;
  const browser = () => new OAuthClient(auth.issuer);

  beforeAll(async () => {
    store = await createTestStore(engine);
    auth = await startTestAuth(store, { KEYS_RELOAD_INTERVAL: '1' });
    kit = kitFor(auth.config);
    database = await openAuthDatabase(store.config);
  });
  afterAll(async () => {
    await database?.close();
    await auth?.close();
    await store?.cleanup();
  });

  const publishedKids = async () => ((await (await fetch(`${auth.issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);

  /** Polls until `check` holds (running instances pick changes up within KEYS_RELOAD_INTERVAL). */
  async function eventually(check: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the running OP did not pick the change up');
  }

  async function signedKid(agent: OAuthClient): Promise<{ access: string; id: string; token: string }> {
    const { code, verifier } = await agent.authorize({ prompt: 'consent' });
    const tokens = (await exchange(auth.issuer, code!, verifier)).body;
    return { access: decodeProtectedHeader(tokens.access_token).kid!, id: decodeProtectedHeader(tokens.id_token!).kid!, token: tokens.access_token };
  }

  it('rotates: generate publishes at once, promote signs, the old key keeps verifying, retire waits 24 h after it stopped', async () => {
    const listed = json<Key[]>(await kit('keys', 'list', '--json'));
    expect(listed).toEqual([expect.objectContaining({ source: 'dev', state: 'current', alg: 'RS256' })]);
    const devKid = listed[0]!.kid;
    const agent = browser();
    expect((await signedKid(agent)).access).toBe(devKid);

    const generated = await kit('keys', 'generate', '--json');
    expect(generated.code).toBe(0);
    const next = json<Key>(generated);
    expect(next).toMatchObject({ alg: 'RS256', source: 'database', state: 'next' });
    expect(Date.parse(next.signingFrom!) - Date.now()).toBeGreaterThan(23 * HOUR);
    await eventually(async () => (await publishedKids()).includes(next.kid));
    // Published, not signing yet; the session survived the provider rebuild (no login page).
    const before = await signedKid(agent);
    expect(before).toMatchObject({ access: devKid, id: devKid });

    const again = await kit('keys', 'generate');
    expect(again.code).toBe(4);
    expect(again.stderr).toContain(`key ${next.kid} is already the next RS256 key`);

    const early = await kit('keys', 'promote', '--', next.kid);
    expect(early.code).toBe(4);
    expect(early.stderr).toMatch(/published less than 24 h ago.*; possible in 2[34]h \d+m\n$/);
    const promoted = await kit('keys', 'promote', '--force', '--', next.kid);
    expect(promoted).toMatchObject({ code: 0, stdout: `key ${next.kid} (RS256) is current\n` });
    await eventually(async () => (await signedKid(agent)).access === next.kid);
    expect((await signedKid(agent)).id).toBe(next.kid);
    // Tokens signed before stay verifiable: the development key is still published.
    expect(await publishedKids()).toEqual(expect.arrayContaining([next.kid, devKid]));

    const current = await kit('keys', 'retire', '--', next.kid);
    expect(current.code).toBe(4);
    expect(current.stderr).toContain('is the current RS256 signer');

    // A second rotation: the first database key becomes previous.
    const second = json<Key>(await kit('keys', 'generate', '--promote-after', '1s', '--force', '--json'));
    await eventually(async () => (await signedKid(agent)).access === second.kid);
    const states = json<Key[]>(await kit('keys', 'list', '--json'));
    expect(states.find((k) => k.kid === next.kid)).toMatchObject({ state: 'previous', stoppedSigningAt: second.signingFrom });
    expect(states.find((k) => k.kid === devKid)).toMatchObject({ source: 'dev', state: 'published' });
    const text = await kit('keys', 'list');
    expect(text.stdout).toMatch(new RegExp(`${second.kid}\\s+RS256\\s+database\\s+current`));

    const tooSoon = await kit('keys', 'retire', '--json', '--', next.kid);
    expect(tooSoon.code).toBe(4);
    expect(json<{ error: string }>(tooSoon).error).toMatch(/stopped signing less than 24 h ago.*possible in (23h \d+m|24h 0m)$/);

    // 25 hours later (moved back in the database rather than waited for).
    const shift = 25 * HOUR;
    for (const kid of [next.kid, second.kid]) {
      const row = await database.db.selectFrom('signing_keys').select(['created_at', 'signing_from']).where('kid', '=', kid).executeTakeFirstOrThrow();
      await database.db
        .updateTable('signing_keys')
        .set({ created_at: Number(row.created_at) - shift, signing_from: Number(row.signing_from) - shift })
        .where('kid', '=', kid)
        .execute();
    }
    const retired = await kit('keys', 'retire', '--', next.kid);
    expect(retired).toMatchObject({ code: 0, stdout: `key ${next.kid} (RS256) is retired\n` });
    await eventually(async () => !(await publishedKids()).includes(next.kid));
    expect((await kit('keys', 'retire', '--', next.kid)).code).toBe(4);

    const audited = json<{ type: string; detail: { kid: string } }[]>(await kit('audit', 'query', '--actor', 'cli', '--json'));
    expect(audited.map((e) => [e.type, e.detail.kid])).toEqual([
      ['key.retired', next.kid],
      // The second key signed by its --promote-after time, without a promote command.
      ['key.generated', second.kid],
      ['key.promoted', next.kid],
      ['key.generated', next.kid],
    ]);
  });

  it('stores private keys sealed (AES-GCM), never as plain JWK', async () => {
    const rows = await database.db.selectFrom('signing_keys').select(['kid', 'private_jwk']).execute();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.private_jwk).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(row.private_jwk).not.toContain('"d"');
    }
  });

  it('explains bad arguments (exit 2) and unknown keys (exit 3)', async () => {
    expect((await kit('keys', 'generate', '--alg', 'HS256')).code).toBe(2);
    const soon = await kit('keys', 'generate', '--promote-after', '1h');
    expect(soon.code).toBe(2);
    expect(soon.stderr).toContain('--force');
    for (const verb of ['promote', 'retire']) {
      const res = await kit('keys', verb, 'no-such-kid');
      expect(res.code).toBe(3);
      expect(res.stderr).toContain('no signing key no-such-kid');
    }
  });
});
