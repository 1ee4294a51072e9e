// A fake OP for resource servers: signing keys, a real JWKS endpoint publishing them, and access
// tokens signed with them (RFC 9068 shaped), so an API is tested and measured without an OP.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

/** What the tokens claim unless told otherwise; configure the API under test with the same. */
export const ISSUER = 'https://op.test.example';
export const AUDIENCE = 'api://my-api';
export const ALL_SCOPES = 'openid accounts:read customers:read transactions:read';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export async function newKey(kid: string, alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, privateKey, jwk };
}

/** A real JWKS endpoint on a random port that counts how often it is fetched. */
export interface JwksServer {
  url: string;
  requests: number;
  keys: JWK[];
  close(): Promise<void>;
}

export async function startJwks(keys: JWK[]): Promise<JwksServer> {
  const state = { requests: 0, keys };
  const server: Server = createServer((_req, res) => {
    state.requests++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks`,
    get requests() {
      return state.requests;
    },
    set requests(n: number) {
      state.requests = n;
    },
    get keys() {
      return state.keys;
    },
    set keys(k: JWK[]) {
      state.keys = k;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface TokenOptions {
  sub?: string;
  scope?: string;
  iss?: string;
  aud?: string;
  expiresIn?: number | string;
  typ?: string;
  alg?: string;
  notBefore?: number;
  clientId?: string;
  /** RFC 7800 confirmation, e.g. { 'x5t#S256': … } for a certificate-bound token. */
  cnf?: Record<string, string>;
  /** `fdxConsentId`: the consent the token was issued under (absent: a token from before consents). */
  consentId?: string;
  /** `account_ids`: the accounts selected for the consent (absent: all); any value, so tests can send malformed ones. */
  accountIds?: unknown;
  /** The OP's `rl` claim (the client's API allowances per minute). */
  rl?: Record<string, unknown>;
}

export async function signToken(key: SigningKey, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    scope: options.scope ?? ALL_SCOPES,
    client_id: options.clientId ?? 'dev-rp',
    ...(options.consentId === undefined ? {} : { fdxConsentId: options.consentId }),
    ...(options.accountIds === undefined ? {} : { account_ids: options.accountIds }),
    ...(options.cnf ? { cnf: options.cnf } : {}),
    ...(options.rl ? { rl: options.rl } : {}),
  })
    .setProtectedHeader({ alg: options.alg ?? (key.jwk.alg as string), kid: key.kid, typ: options.typ ?? 'at+jwt' })
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setSubject(options.sub ?? 'cust-10001')
    .setIssuedAt(now)
    .setJti(`jti-${Math.random().toString(36).slice(2)}`)
    .setNotBefore(options.notBefore ?? now)
    .setExpirationTime(options.expiresIn ?? now + 300)
    .sign(key.privateKey);
}
