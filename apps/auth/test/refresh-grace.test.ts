import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, OAuthClient, tokenRequest } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

// REFRESH_TOKEN_REUSE_GRACE: an OP instance that crashes after rotating a refresh token but before
// its answer leaves loses the client's only token. Within the grace period the old token may be
// retried once — as long as its successor was never used — and the successor is invalidated.
describe.each(ENGINES)('refresh-token reuse grace on %s', (engine) => {
  let store: TestStore;
  let auth: TestAuth;

  beforeAll(async () => {
    store = await createTestStore(engine);
    auth = await startTestAuth(store, { REFRESH_TOKEN_REUSE_GRACE: '30' });
  });
  afterAll(async () => {
    await auth?.close();
    await store?.cleanup();
  });

  async function refreshTokenOfNewGrant(): Promise<string> {
    const { code, verifier } = await new OAuthClient(auth.issuer).authorize({ prompt: 'consent' });
    const tokens = await exchange(auth.issuer, code!, verifier);
    expect(tokens.body.refresh_token).toBeTruthy();
    return tokens.body.refresh_token!;
  }
  const refresh = (token: string) => tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: token });

  it('lets a client whose rotation answer was lost retry with the old token; the lost successor stops working', async () => {
    const first = await refreshTokenOfNewGrant();
    const lost = await refresh(first); // the answer a crashed instance never delivered
    expect(lost.status).toBe(200);

    const retried = await refresh(first);
    expect(retried.status).toBe(200);
    expect(retried.body.refresh_token).not.toBe(lost.body.refresh_token);

    // One chain stays valid: the lost successor is gone, the retried one carries on.
    expect((await refresh(lost.body.refresh_token!)).body.error).toBe('invalid_grant');
    const next = await refresh(retried.body.refresh_token!);
    expect(next.status).toBe(200);
    expect((await refresh(next.body.refresh_token!)).status).toBe(200);
  });

  it('still revokes the grant when the old token comes back after its successor was used', async () => {
    const first = await refreshTokenOfNewGrant();
    const second = await refresh(first);
    const third = await refresh(second.body.refresh_token!); // the successor was used: the client had it
    expect(third.status).toBe(200);

    const replay = await refresh(first);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    expect((await refresh(third.body.refresh_token!)).body.error).toBe('invalid_grant');
  });
});
