import { sql, type Kysely } from 'kysely';
import type { AuthSchema } from './schema.js';

/** `LIKE` pattern text for a literal value (`\` escapes). */
const likeLiteral = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Removes everything the OP holds for one customer: their grants with every token issued under
 * them (through the grant_id index, as the OP's own revocation does) and their sessions.
 * Grants and sessions carry the account id only inside the payload, so candidates are found by
 * text and confirmed by parsing. Returns the ids of the grants removed.
 */
export async function revokeCustomerAccess(db: Kysely<AuthSchema>, customerId: string): Promise<{ grants: string[]; sessions: number }> {
  const pattern = `%"accountId":${likeLiteral(JSON.stringify(customerId))}%`;
  const rows = await db
    .selectFrom('oidc_models')
    .select(['model', 'id', 'payload'])
    .where('model', 'in', ['Grant', 'Session'])
    .where(sql<boolean>`payload like ${pattern} escape '\\'`)
    .execute();
  const mine = rows.filter((row) => (JSON.parse(row.payload) as { accountId?: unknown }).accountId === customerId);
  const grants = mine.filter((row) => row.model === 'Grant').map((row) => row.id);
  const sessions = mine.filter((row) => row.model === 'Session').map((row) => row.id);
  for (const grantId of grants) {
    await db.deleteFrom('oidc_models').where('grant_id', '=', grantId).execute();
    await db.deleteFrom('oidc_models').where('model', '=', 'Grant').where('id', '=', grantId).execute();
  }
  if (sessions.length > 0) await db.deleteFrom('oidc_models').where('model', '=', 'Session').where('id', 'in', sessions).execute();
  return { grants, sessions: sessions.length };
}
