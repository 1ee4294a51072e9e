import type { Kysely } from 'kysely';
import type { AuthSchema } from '../db/schema.js';
import { generateEcSigningKey, generateSigningKey, hasKeyFor, jwksSchema, type AccessTokenAlg, type SigningKeys } from './jwks.js';

const DEV_KEYS = 'dev_jwks';

interface Stored {
  text: string;
  set: SigningKeys;
}

async function readStored(db: Kysely<AuthSchema>): Promise<Stored | undefined> {
  const row = await db.selectFrom('op_secrets').select('value').where('name', '=', DEV_KEYS).executeTakeFirst();
  return row && { text: row.value, set: jwksSchema.parse(JSON.parse(row.value)) };
}

/**
 * Development only: the signing keys are generated once and stored in the database, so a
 * restart (or a second instance on the same database) keeps verifying issued tokens.
 * Insert-if-absent then read back, so concurrent first starts agree on one set. A set stored
 * before ES256 was asked for gains an EC key by compare-and-set on the stored text: of two
 * concurrent starts one adds its key, the other's update matches nothing, and both read back
 * the same set. Keys are only ever added, so tokens already issued keep verifying.
 */
export async function devSigningKeys(db: Kysely<AuthSchema>, accessTokenAlg: AccessTokenAlg): Promise<SigningKeys> {
  let stored = await readStored(db);
  if (!stored) {
    const fresh: SigningKeys = { keys: [generateSigningKey(), ...(accessTokenAlg === 'ES256' ? [generateEcSigningKey()] : [])] };
    await db
      .insertInto('op_secrets')
      .values({ name: DEV_KEYS, value: JSON.stringify(fresh), created_at: Date.now() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    stored = await readStored(db);
  }
  if (!stored) throw new Error('development signing keys vanished while being created');
  if (hasKeyFor(stored.set, accessTokenAlg)) return stored.set;

  const extended: SigningKeys = { keys: [...stored.set.keys, generateEcSigningKey()] };
  await db
    .updateTable('op_secrets')
    .set({ value: JSON.stringify(extended) })
    .where('name', '=', DEV_KEYS)
    .where('value', '=', stored.text)
    .execute();
  const after = await readStored(db);
  if (!after || !hasKeyFor(after.set, accessTokenAlg)) throw new Error(`development signing keys have no key for ${accessTokenAlg}`);
  return after.set;
}
