import type { RequestHandler } from 'express';
import type { Kysely } from 'kysely';
import type { AuthSchema } from '../db/schema.js';

/** Dynamic registration stops at a fixed number of registered clients. */
export function registrationCap(db: Kysely<AuthSchema>, maxClients: number): RequestHandler {
  return async (_req, res, next) => {
    const row = await db
      .selectFrom('oidc_models')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('model', '=', 'Client')
      .executeTakeFirstOrThrow();
    if (Number(row.n) >= maxClients) {
      res.status(400).set('Cache-Control', 'no-store').json({
        error: 'invalid_client_metadata',
        error_description: 'the client registration limit has been reached',
      });
      return;
    }
    next();
  };
}
