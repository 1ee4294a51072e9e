import { openDatabase } from '@apps/shared';
import { sql, type Kysely } from 'kysely';
import type { AdapterPayload } from 'oidc-provider';
import { afterEach, describe, expect, it } from 'vitest';
import { exchange, OAuthClient, tokenRequest } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { KyselyAdapter } from '../src/db/kysely-adapter.js';
import { authDatabaseConfig, openAuthDatabase } from '../src/db/open.js';
import type { AuthSchema } from '../src/db/schema.js';
import { SecretIds } from '../src/db/secret-ids.js';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

const IAT = 'test-initial-access-token-0123456789abcdef';
const SESSION_COOKIE = '_session';

/** Every row of oidc_models, every column, as text: where a raw value must not appear. */
async function dumpModels(db: Kysely<AuthSchema>): Promise<string> {
  const rows = await db.selectFrom('oidc_models').selectAll().execute();
  return JSON.stringify(rows);
}

/** Puts one row back the way a release before 0009 wrote it: keyed by the raw value, with it in the payload. */
async function writtenByOldRelease(db: Kysely<AuthSchema>, ids: SecretIds, model: string, id: string): Promise<void> {
  const row = await db.selectFrom('oidc_models').select('payload').where('model', '=', model).where('id', '=', ids.rowId(model, id)).executeTakeFirstOrThrow();
  const payload = ids.open(model, id, JSON.parse(row.payload) as AdapterPayload);
  await db.updateTable('oidc_models').set({ id, payload: JSON.stringify(payload) }).where('model', '=', model).where('id', '=', ids.rowId(model, id)).execute();
}

/** A real login (login page → consent page → code), its token exchange and one refresh; the raw values on the way. */
async function signIn(auth: TestAuth) {
  const browser = new OAuthClient(auth.issuer);
  const interactionUid = (page: { body: string }) => /\/interaction\/([^/"]+)\//.exec(page.body)?.[1];
  const { page: loginPage, verifier } = await browser.startAuthorization({ prompt: 'consent' });
  const consentPage = await browser.login(loginPage);
  const code = await browser.consent(consentPage);
  const tokens = await exchange(auth.issuer, code, verifier);
  expect(tokens.status).toBe(200);
  const refreshed = await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token! });
  expect(refreshed.status).toBe(200);
  return {
    browser,
    code,
    interactions: [interactionUid(loginPage)!, interactionUid(consentPage)!],
    session: browser.jar.get(SESSION_COOKIE)!,
    refreshTokens: [tokens.body.refresh_token!, refreshed.body.refresh_token!],
  };
}

describe.each(ENGINES)('secrets hashed at rest on %s', (engine) => {
  let store: TestStore | undefined;
  let auth: TestAuth | undefined;
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    await auth?.close();
    await store?.cleanup();
    close = auth = store = undefined;
  });

  it('keeps no refresh token, code, session id, interaction id or registration access token in the database or the logs', async () => {
    store = await createTestStore(engine);
    const logs: string[] = [];
    auth = await startTestAuth(store, { REGISTRATION_INITIAL_ACCESS_TOKEN: IAT }, (line) => logs.push(line));
    const signedIn = await signIn(auth);
    const registered = await fetch(`${auth.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${IAT}` },
      body: JSON.stringify({ redirect_uris: ['https://aggregator.example/cb'], client_name: 'Aggregator', scope: 'openid accounts:read' }),
    });
    expect(registered.status).toBe(201);
    const client = (await registered.json()) as { client_id: string; registration_access_token: string };
    // A login left open: its interaction is still stored (finished ones are deleted).
    const pending = await new OAuthClient(auth.issuer).startAuthorization();
    const pendingUid = /\/interaction\/([^/"]+)\//.exec(pending.page.body)?.[1];

    const database = await openAuthDatabase(store.config);
    close = () => database.close();
    const raw = {
      code: signedIn.code,
      session: signedIn.session,
      interaction1: signedIn.interactions[0]!,
      interaction2: signedIn.interactions[1]!,
      interaction3: pendingUid!,
      refresh1: signedIn.refreshTokens[0]!,
      refresh2: signedIn.refreshTokens[1]!,
      registration: client.registration_access_token,
    };
    for (const value of Object.values(raw)) expect(value.length).toBeGreaterThanOrEqual(21);
    const dump = await dumpModels(database.db);
    const logged = logs.join('\n');
    for (const [name, value] of Object.entries(raw)) {
      expect(dump.includes(value), `${name} in oidc_models`).toBe(false);
      expect(logged.includes(value), `${name} in the logs`).toBe(false);
    }

    // Each is there, under its keyed hash.
    const ids = new SecretIds(auth.config.tokenHashKey);
    const stored = async (model: string, id: string) =>
      database.db.selectFrom('oidc_models').select(['id_hashed', 'payload']).where('model', '=', model).where('id', '=', ids.rowId(model, id)).executeTakeFirst();
    expect(await stored('AuthorizationCode', raw.code)).toMatchObject({ id_hashed: 1 });
    expect(await stored('RefreshToken', raw.refresh1)).toMatchObject({ id_hashed: 1 });
    expect(await stored('RefreshToken', raw.refresh2)).toMatchObject({ id_hashed: 1 });
    expect(await stored('Session', raw.session)).toMatchObject({ id_hashed: 1 });
    expect(await stored('Interaction', raw.interaction3)).toMatchObject({ id_hashed: 1 });
    expect(await stored('RegistrationAccessToken', raw.registration)).toMatchObject({ id_hashed: 1 });

    // And all still work: the rotated refresh token refreshes, the session cookie skips the login,
    // the registration access token reads the client.
    const again = await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: raw.refresh2 });
    expect(again.status).toBe(200);
    const remembered = await signedIn.browser.startAuthorization();
    expect(remembered.page.status).toBe(303);
    expect(new URL(remembered.page.location!).searchParams.get('code')).toBeTruthy();
    const read = await fetch(`${auth.issuer}/reg/${client.client_id}`, { headers: { authorization: `Bearer ${raw.registration}` } });
    expect(read.status).toBe(200);
  });

  it('re-keys tokens and sessions stored before 0009: a refresh token issued before the upgrade still refreshes', async () => {
    store = await createTestStore(engine);
    auth = await startTestAuth(store);
    const signedIn = await signIn(auth);
    const [spent, live] = signedIn.refreshTokens as [string, string];
    const ids = new SecretIds(auth.config.tokenHashKey);

    // Down, the database goes back to how the release before 0009 left it: rows keyed by the raw
    // value with it in the payload, no id_hashed column, 0009 not applied.
    await auth.restart(async () => {
      const database = openDatabase<AuthSchema>(authDatabaseConfig(store!.config));
      try {
        const known: [string, string][] = [['RefreshToken', spent], ['RefreshToken', live], ['Session', signedIn.session], ['AuthorizationCode', signedIn.code]];
        for (const [model, id] of known) await writtenByOldRelease(database.db, ids, model, id);
        // Interactions (raw ids not known here) are short-lived and not needed after the login.
        await database.db.deleteFrom('oidc_models').where('model', '=', 'Interaction').execute();
        await database.db.schema.dropIndex('oidc_models_unhashed').execute();
        await database.db.schema.alterTable('oidc_models').dropColumn('id_hashed').execute();
        await sql`delete from kysely_migration where name = '0009_hashed_secrets'`.execute(database.db);
        // Nor the migrations after it (consents, 0010): that release had none.
        await database.db.schema.dropTable('consent_changes').execute();
        await database.db.schema.dropTable('consents').execute();
        await sql`delete from kysely_migration where name > '0009_hashed_secrets'`.execute(database.db);
        expect(await dumpModels(database.db)).toContain(live);
      } finally {
        await database.close();
      }
    });

    // The new release migrated and re-keyed them: nothing raw is left, nothing is lost.
    const database = await openAuthDatabase(store.config);
    close = () => database.close();
    const dump = await dumpModels(database.db);
    for (const value of [spent, live, signedIn.session, signedIn.code]) expect(dump.includes(value)).toBe(false);
    const unhashed = await database.db.selectFrom('oidc_models').select('model').where('id_hashed', '=', 0).where('model', 'in', ['RefreshToken', 'Session', 'AuthorizationCode']).execute();
    expect(unhashed).toEqual([]);

    const refreshed = await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: live });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.access_token).toBeTruthy();
    // The session from before the upgrade still signs in without a password.
    const remembered = await signedIn.browser.startAuthorization();
    expect(remembered.page.status).toBe(303);
    expect(new URL(remembered.page.location!).searchParams.get('code')).toBeTruthy();
    // The refresh token rotated before the upgrade is still known as spent: reuse revokes the grant.
    const reuse = await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: spent });
    expect(reuse.body.error).toBe('invalid_grant');
    const after = await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token! });
    expect(after.body.error).toBe('invalid_grant');
  });

  it('re-keys, within one sweep interval, a refresh token an older instance wrote during a rolling upgrade', async () => {
    store = await createTestStore(engine);
    auth = await startTestAuth(store, { SWEEP_INTERVAL: '1' });
    const signedIn = await signIn(auth);
    const live = signedIn.refreshTokens[1]!;
    const database = await openAuthDatabase(store.config);
    close = () => database.close();
    // What an instance of the older release writes: the raw value as the id (id_hashed defaults to 0).
    await writtenByOldRelease(database.db, new SecretIds(auth.config.tokenHashKey), 'RefreshToken', live);
    await database.db.updateTable('oidc_models').set({ id_hashed: 0 }).where('model', '=', 'RefreshToken').where('id', '=', live).execute();

    const started = Date.now();
    while ((await dumpModels(database.db)).includes(live)) {
      expect(Date.now() - started, 'still stored raw after 5 s').toBeLessThan(5000);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const refreshed = await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: live });
    expect(refreshed.status).toBe(200);
  });

  it('stores an interaction without its id or its session id, and gives it back whole', async () => {
    store = await createTestStore(engine);
    const database = await openAuthDatabase(store.config);
    close = () => database.close();
    const ids = new SecretIds('test-token-hash-key-0123456789abcdef');
    const interactions = new KyselyAdapter(database.db, 'Interaction', ids);
    const payload = {
      jti: 'interaction-uid-0123456789',
      kind: 'Interaction',
      returnTo: 'https://op.example/auth/interaction-uid-0123456789',
      session: { accountId: 'cust-1', uid: 'session-uid', cookie: 'session-id-0123456789abcdef' },
    };
    await interactions.upsert(payload.jti, payload, 600);
    const dump = await dumpModels(database.db);
    expect(dump).not.toContain('interaction-uid-0123456789');
    expect(dump).not.toContain('session-id-0123456789abcdef');
    expect(await interactions.find(payload.jti)).toEqual({ ...payload, session: { accountId: 'cust-1', uid: 'session-uid' } });
    expect(await interactions.find('another-uid')).toBeUndefined();
  });
});
