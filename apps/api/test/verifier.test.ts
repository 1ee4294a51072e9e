import { SignJWT, base64url } from 'jose';
import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIENCE, ISSUER, newKey, signToken, startJwks, type JwksServer, type SigningKey } from '@kit/harness/jwks';
import { InvalidTokenError, KeySetUnavailableError, createTokenVerifier, type TokenVerifier } from '../src/auth/verifier.js';

describe('token verifier', () => {
  let key: SigningKey;
  let jwks: JwksServer;
  let verify: TokenVerifier;

  beforeEach(async () => {
    key = await newKey('key-1');
    jwks = await startJwks([key.jwk]);
    verify = createTokenVerifier({ jwksUri: jwks.url, issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 5, jwksCooldownMs: 30_000 });
  });
  afterEach(() => jwks.close());

  const rejects = async (token: string, reason: RegExp) => {
    const err = await verify(token).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidTokenError);
    expect((err as InvalidTokenError).reason).toMatch(reason);
  };

  it('accepts a well-formed RS256 access token and exposes its facts, not its text', async () => {
    const token = await signToken(key, { sub: 'cust-10001', scope: 'openid accounts:read' });
    const facts = await verify(token);
    expect(facts.sub).toBe('cust-10001');
    expect([...facts.scopes]).toEqual(['openid', 'accounts:read']);
    expect(facts.clientId).toBe('dev-rp');
    expect(JSON.stringify(facts)).not.toContain(token);
  });

  it("exposes the token's consent (fdxConsentId) and its selected accounts (account_ids)", async () => {
    const facts = await verify(await signToken(key, { consentId: 'c0a8f5e2-7d1b-4c5e-9f3a-2b6d8e1f4a7c', accountIds: ['acc-1', 'acc-2'] }));
    expect(facts.consentId).toBe('c0a8f5e2-7d1b-4c5e-9f3a-2b6d8e1f4a7c');
    expect([...facts.accountIds!]).toEqual(['acc-1', 'acc-2']);
  });

  it('reads a token without those claims as a legacy token: no consent, all accounts', async () => {
    const facts = await verify(await signToken(key));
    expect(facts.consentId).toBeUndefined();
    expect(facts.accountIds).toBeUndefined();
  });

  it('accepts up to 1000 selected accounts and an empty selection (which shares nothing)', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => `acc-${i}`);
    expect((await verify(await signToken(key, { accountIds: many }))).accountIds!.size).toBe(1000);
    expect((await verify(await signToken(key, { accountIds: [] }))).accountIds!.size).toBe(0);
  });

  it('refuses a malformed account_ids or fdxConsentId claim as an invalid token', async () => {
    for (const accountIds of ['acc-1', { 0: 'acc-1' }, [''], ['acc-1', 7], [null], ['x'.repeat(257)], Array.from({ length: 1001 }, (_, i) => `a${i}`)]) {
      await rejects(await signToken(key, { accountIds }), /"account_ids" claim/);
    }
    await rejects(await signToken(key, { accountIds: null }), /"account_ids" claim/);
    for (const consentId of ['', 42, ['c1']] as unknown as string[]) {
      await rejects(await signToken(key, { consentId }), /"fdxConsentId" claim/);
    }
  });

  it('accepts ES256 and PS256 keys from the set', async () => {
    const es = await newKey('es-1', 'ES256');
    const ps = await newKey('ps-1', 'PS256');
    jwks.keys = [key.jwk, es.jwk, ps.jwk];
    expect((await verify(await signToken(es))).sub).toBe('cust-10001');
    expect((await verify(await signToken(ps))).sub).toBe('cust-10001');
  });

  it('rejects an expired token', async () => {
    await rejects(await signToken(key, { expiresIn: Math.floor(Date.now() / 1000) - 60 }), /expired/);
  });

  it('rejects a token not yet valid beyond the clock tolerance', async () => {
    await rejects(await signToken(key, { notBefore: Math.floor(Date.now() / 1000) + 120 }), /nbf/);
  });

  it('rejects a wrong audience', async () => {
    await rejects(await signToken(key, { aud: 'api://someone-else' }), /aud/);
  });

  it('rejects a wrong issuer', async () => {
    await rejects(await signToken(key, { iss: 'https://evil.example' }), /iss/);
  });

  it('rejects a token whose typ is not at+jwt (e.g. an ID token)', async () => {
    await rejects(await signToken(key, { typ: 'JWT' }), /typ/);
  });

  it('rejects alg none', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: 'key-1' }));
    const now = Math.floor(Date.now() / 1000);
    const payload = base64url.encode(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'cust-10001', exp: now + 60, scope: 'accounts:read' }));
    await rejects(`${header}.${payload}.`, /algorithm|malformed/);
  });

  it('rejects HS256 signed with the public key as the secret', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(key.jwk));
    const token = await new SignJWT({ scope: 'accounts:read' })
      .setProtectedHeader({ alg: 'HS256', kid: 'key-1', typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('cust-10001')
      .setExpirationTime('5m')
      .sign(secret);
    await rejects(token, /algorithm/);
    // The same with a raw HMAC over the n value, the classic confusion attack.
    const [h, p] = token.split('.');
    const forged = `${h}.${p}.${createHmac('sha256', key.jwk.n!).update(`${h}.${p}`).digest('base64url')}`;
    await rejects(forged, /algorithm/);
  });

  it('rejects a tampered payload', async () => {
    const token = await signToken(key, { sub: 'cust-10001' });
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const tampered = base64url.encode(JSON.stringify({ ...claims, sub: 'cust-10002' }));
    await rejects(`${h}.${tampered}.${s}`, /signature/);
  });

  it('rejects a token signed by a key the OP does not publish', async () => {
    const stranger = await newKey('key-1');
    await rejects(await signToken(stranger), /signature/);
    await rejects(await signToken(await newKey('unknown-kid')), /unknown key/);
  });

  it('picks up a rotated key with one refetch after the cooldown', async () => {
    const fast = createTokenVerifier({ jwksUri: jwks.url, issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 5, jwksCooldownMs: 50 });
    await fast(await signToken(key));
    expect(jwks.requests).toBe(1);
    const next = await newKey('key-2');
    jwks.keys = [key.jwk, next.jwk];
    await new Promise((r) => setTimeout(r, 80));
    expect((await fast(await signToken(next))).sub).toBe('cust-10001');
    expect(jwks.requests).toBe(2);
    // Both keys now verify from cache.
    await fast(await signToken(key));
    await fast(await signToken(next));
    expect(jwks.requests).toBe(2);
  });

  it('does not hammer the OP when flooded with unknown kids', async () => {
    await verify(await signToken(key));
    const strangers = await Promise.all(Array.from({ length: 5 }, (_, i) => newKey(`bogus-${i}`)));
    const tokens = await Promise.all(Array.from({ length: 100 }, (_, i) => signToken(strangers[i % 5]!)));
    const results = await Promise.allSettled(tokens.map((t) => verify(t)));
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof InvalidTokenError)).toBe(true);
    expect(jwks.requests).toBeLessThanOrEqual(2);
  });

  it('reports an unreachable key set as unavailable, not as a bad token', async () => {
    await jwks.close();
    const err = await createTokenVerifier({ jwksUri: jwks.url, issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 5, jwksCooldownMs: 30_000 })(
      await signToken(key),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeySetUnavailableError);
    jwks = await startJwks([key.jwk]);
  });
});

describe('remembering verified tokens', () => {
  let key: SigningKey;
  let jwks: JwksServer;
  beforeEach(async () => {
    key = await newKey('key-1');
    jwks = await startJwks([key.jwk]);
  });
  afterEach(() => jwks.close());

  const verifier = (verifiedCacheMs: number) =>
    createTokenVerifier({
      jwksUri: jwks.url,
      issuer: ISSUER,
      audience: AUDIENCE,
      clockToleranceSeconds: 0,
      jwksCooldownMs: 0,
      jwksCacheMaxAgeMs: 100,
      verifiedCacheMs,
    });

  it('never accepts a remembered token past its exp', async () => {
    const verify = verifier(60_000);
    const token = await signToken(key, { expiresIn: Math.floor(Date.now() / 1000) + 1 });
    expect((await verify(token)).sub).toBe('cust-10001');
    await new Promise((r) => setTimeout(r, 2100));
    await expect(verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('verifies again after the remembering time, so a key retired from the set stops working once the set is refreshed', async () => {
    const verify = verifier(300);
    const token = await signToken(key);
    // Generated first: RSA key generation on a busy machine could outlast the remembering time.
    const next = await newKey('key-2');
    await verify(token);
    jwks.keys = [next.jwk];
    await new Promise((r) => setTimeout(r, 150));
    // The key set is stale, but the token is still remembered.
    expect((await verify(token)).sub).toBe('cust-10001');
    await new Promise((r) => setTimeout(r, 300));
    await expect(verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('remembers only what verified: a tampered copy of a remembered token is still refused', async () => {
    const verify = verifier(60_000);
    const token = await signToken(key, { sub: 'cust-10001' });
    await verify(token);
    const [header, , signature] = token.split('.');
    const payload = base64url.encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(base64url.decode(token.split('.')[1]!))), sub: 'cust-10002' }));
    await expect(verify(`${header}.${payload}.${signature}`)).rejects.toBeInstanceOf(InvalidTokenError);
  });
});
