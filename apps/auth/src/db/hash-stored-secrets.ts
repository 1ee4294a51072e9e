import type { Kysely } from 'kysely';
import type { AdapterPayload } from 'oidc-provider';
import type { AuthSchema } from './schema.js';
import { HASHED_MODELS, type SecretIds } from './secret-ids.js';

const BATCH = 500;

/**
 * Re-keys the rows of secret-keyed models written with their raw id (before 0009, or by an
 * instance of an older release during a rolling upgrade) under the keyed hash, the way the
 * adapter writes them now; every other column (grant, expiry, consumption) stays. Each row is a
 * compare-and-set on `id_hashed = 0`, so instances starting together convert each row once.
 * Returns how many rows it converted.
 */
export async function hashStoredSecrets(db: Kysely<AuthSchema>, ids: SecretIds): Promise<number> {
  let converted = 0;
  for (;;) {
    const rows = await db
      .selectFrom('oidc_models')
      .select(['model', 'id', 'payload'])
      .where('id_hashed', '=', 0)
      .where('model', 'in', [...HASHED_MODELS])
      .limit(BATCH)
      .execute();
    for (const row of rows) {
      const payload = JSON.parse(row.payload) as AdapterPayload;
      const result = await db
        .updateTable('oidc_models')
        .set({ id: ids.rowId(row.model, row.id), payload: JSON.stringify(ids.seal(row.model, row.id, payload)), id_hashed: 1 })
        .where('model', '=', row.model)
        .where('id', '=', row.id)
        .where('id_hashed', '=', 0)
        .executeTakeFirst();
      converted += Number(result.numUpdatedRows);
    }
    if (rows.length < BATCH) return converted;
  }
}
