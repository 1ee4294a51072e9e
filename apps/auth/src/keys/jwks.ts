import { createHash, generateKeyPairSync } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { AuthSchema } from '../db/schema.js';

/** A private RSA signing key as oidc-provider takes it. */
const privateRsaJwk = z.looseObject({
  kty: z.literal('RSA'),
  kid: z.string().min(1),
  n: z.string().min(1),
  e: z.string().min(1),
  d: z.string().min(1, 'private key parameter d is required'),
  p: z.string().min(1),
  q: z.string().min(1),
  dp: z.string().min(1),
  dq: z.string().min(1),
  qi: z.string().min(1),
  alg: z.literal('RS256').optional(),
  use: z.literal('sig').optional(),
});

/** `JWKS` env: several keys; the first signs, all are published (so retired keys keep verifying). */
export const jwksSchema = z.object({ keys: z.array(privateRsaJwk).min(1) });
export type SigningKeys = z.output<typeof jwksSchema>;

const DEV_KEYS = 'dev_jwks';

function thumbprint(jwk: { e: string; n: string }): string {
  return createHash('sha256').update(JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n })).digest('base64url');
}

export function generateSigningKey(): SigningKeys['keys'][number] {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as Record<string, string>;
  return privateRsaJwk.parse({ ...jwk, kid: thumbprint(jwk as { e: string; n: string }), alg: 'RS256', use: 'sig' });
}

/**
 * Development only: the signing key is generated once and stored in the database, so a
 * restart (or a second instance on the same database) keeps verifying issued tokens.
 * Insert-if-absent then read back, so concurrent first starts agree on one key.
 */
export async function devSigningKeys(db: Kysely<AuthSchema>): Promise<SigningKeys> {
  const existing = await db.selectFrom('op_secrets').select('value').where('name', '=', DEV_KEYS).executeTakeFirst();
  if (!existing) {
    const fresh: SigningKeys = { keys: [generateSigningKey()] };
    await db
      .insertInto('op_secrets')
      .values({ name: DEV_KEYS, value: JSON.stringify(fresh), created_at: Date.now() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }
  const row = await db.selectFrom('op_secrets').select('value').where('name', '=', DEV_KEYS).executeTakeFirstOrThrow();
  return jwksSchema.parse(JSON.parse(row.value));
}
