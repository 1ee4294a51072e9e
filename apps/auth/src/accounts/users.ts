import type { Kysely } from 'kysely';
import type { AuthSchema } from '../db/schema.js';
import { hashPassword, makeDummyHash, needsRehash, verifyPassword } from './passwords.js';

export interface User {
  id: string;
  email: string;
  name: string;
  emailVerified: boolean;
  blocked: boolean;
}

export interface NewUser {
  id: string;
  email: string;
  name: string;
  password: string;
  emailVerified?: boolean;
  blocked?: boolean;
}

type UserRow = AuthSchema['users'];

function toUser(row: Pick<UserRow, 'id' | 'email' | 'name' | 'email_verified' | 'blocked'>): User {
  return { id: row.id, email: row.email, name: row.name, emailVerified: row.email_verified === 1, blocked: row.blocked === 1 };
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** Users and their credentials. `sub` is the user id, the customer id in the API. */
export class UserRepository {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly db: Kysely<AuthSchema>) {}

  async findById(id: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toUser(row);
  }

  /**
   * Checks an email and password. Unknown emails still pay for one argon2 verification,
   * so response time does not reveal which emails exist. Rehashes outdated hashes.
   */
  async authenticate(email: string, password: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('email', '=', normalizeEmail(email)).executeTakeFirst();
    if (!row) {
      this.dummyHash ??= makeDummyHash();
      await verifyPassword(await this.dummyHash, password);
      return undefined;
    }
    if (!(await verifyPassword(row.password_hash, password))) return undefined;
    if (needsRehash(row.password_hash)) {
      await this.db
        .updateTable('users')
        .set({ password_hash: await hashPassword(password), updated_at: Date.now() })
        .where('id', '=', row.id)
        .execute();
    }
    return toUser(row);
  }

  /** Creates the user unless the id already exists (idempotent seeding). Returns whether it was created. */
  async createIfAbsent(user: NewUser): Promise<boolean> {
    const exists = await this.db.selectFrom('users').select('id').where('id', '=', user.id).executeTakeFirst();
    if (exists) return false;
    const now = Date.now();
    const result = await this.db
      .insertInto('users')
      .values({
        id: user.id,
        email: normalizeEmail(user.email),
        name: user.name,
        email_verified: user.emailVerified === false ? 0 : 1,
        password_hash: await hashPassword(user.password),
        blocked: user.blocked ? 1 : 0,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }
}
