import { createHash, generateKeyPairSync } from 'node:crypto';
import { z } from 'zod';

/** What access tokens may be signed with. ID tokens stay RS256 (what Plaid expects). */
export const ACCESS_TOKEN_ALGS = ['RS256', 'ES256'] as const;
export type AccessTokenAlg = (typeof ACCESS_TOKEN_ALGS)[number];

const privateParameter = (name: string) =>
  z.string({ error: `private key parameter ${name} is required` }).min(1, `private key parameter ${name} is required`);

/** A private RSA signing key as oidc-provider takes it: signs ID tokens and RS256 access tokens. */
const privateRsaJwk = z.looseObject({
  kty: z.literal('RSA'),
  kid: z.string().min(1),
  n: z.string().min(1),
  e: z.string().min(1),
  d: privateParameter('d'),
  p: privateParameter('p'),
  q: privateParameter('q'),
  dp: privateParameter('dp'),
  dq: privateParameter('dq'),
  qi: privateParameter('qi'),
  alg: z.literal('RS256').optional(),
  use: z.literal('sig').optional(),
});

/** A private EC P-256 signing key: signs access tokens when ACCESS_TOKEN_SIGNING_ALG=ES256. */
const privateEcJwk = z.looseObject({
  kty: z.literal('EC'),
  kid: z.string().min(1),
  crv: z.literal('P-256', { error: 'EC keys must use the P-256 curve (ES256)' }),
  x: z.string().min(1),
  y: z.string().min(1),
  d: privateParameter('d'),
  alg: z.literal('ES256').optional(),
  use: z.literal('sig').optional(),
});

export type PrivateRsaJwk = z.output<typeof privateRsaJwk>;
export type PrivateEcJwk = z.output<typeof privateEcJwk>;

const KEY_TYPE_OF: Record<AccessTokenAlg, 'RSA' | 'EC'> = { RS256: 'RSA', ES256: 'EC' };

/** Whether the set holds a key that can sign `alg` (oidc-provider signs with the first such key). */
export function hasKeyFor(set: { keys: readonly { kty: string }[] }, alg: AccessTokenAlg): boolean {
  return set.keys.some((key) => key.kty === KEY_TYPE_OF[alg]);
}

/**
 * `JWKS` env: several keys; the first of each type signs, all are published (so retired keys keep
 * verifying). An RSA key is always required: ID tokens are RS256.
 */
export const jwksSchema = z
  .object({
    keys: z
      .array(z.discriminatedUnion('kty', [privateRsaJwk, privateEcJwk], { error: 'kty must be "RSA" or "EC"' }))
      .min(1),
  })
  .refine((set) => hasKeyFor(set, 'RS256'), 'an RSA key is required (ID tokens are signed RS256)');
export type SigningKeys = z.output<typeof jwksSchema>;

/** RFC 7638: the SHA-256 of the required public members in lexicographic order. */
function thumbprint(jwk: Record<string, string>): string {
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: 'EC', x: jwk.x, y: jwk.y } : { e: jwk.e, kty: 'RSA', n: jwk.n };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** A fresh 2048-bit RSA key, kid = its thumbprint (what `pnpm secrets jwks` makes). */
export function generateSigningKey(): PrivateRsaJwk {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as Record<string, string>;
  return privateRsaJwk.parse({ ...jwk, kid: thumbprint(jwk), alg: 'RS256', use: 'sig' });
}

/** A fresh EC P-256 key, kid = its thumbprint (what `pnpm secrets jwks --es256` adds). */
export function generateEcSigningKey(): PrivateEcJwk {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' }) as Record<string, string>;
  return privateEcJwk.parse({ ...jwk, kid: thumbprint(jwk), alg: 'ES256', use: 'sig' });
}
