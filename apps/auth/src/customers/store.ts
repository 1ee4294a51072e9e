import type { Kysely } from 'kysely';
import { revokeCustomerAccess } from '../db/customer-grants.js';
import type { AuthSchema, UserTable } from '../db/schema.js';
import { CustomerExists } from '../errors.js';

/** A customer as stored locally (table `users`); the password hash never leaves this module's callers in the OP. */
export interface CustomerRecord {
  id: string;
  email: string | null;
  name: string;
  emailVerified: boolean;
  blocked: boolean;
  hasPassword: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface NewCustomer {
  id: string;
  email: string | null;
  name: string;
  emailVerified?: boolean;
  /** An argon2 hash (see passwords.ts); null: no local password. */
  passwordHash: string | null;
  blocked?: boolean;
}

export interface ListQuery {
  status?: 'active' | 'blocked' | undefined;
  /** Keyset paging: customers with an id after this one. */
  after?: string | undefined;
  limit: number;
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

function toRecord(row: UserTable): CustomerRecord {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    emailVerified: row.email_verified === 1,
    blocked: row.blocked === 1,
    hasPassword: row.password_hash !== null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * The local customer store: what the local login checks, what the upstream login provisions
 * into, and what `pnpm kit customers` manages. Emails are stored normalized.
 */
export class CustomerStore {
  constructor(private readonly db: Kysely<AuthSchema>) {}

  async find(id: string): Promise<CustomerRecord | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  /** The record and password hash for a login by email. */
  async credentials(email: string): Promise<{ customer: CustomerRecord; passwordHash: string | null } | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('email', '=', normalizeEmail(email)).executeTakeFirst();
    return row && { customer: toRecord(row), passwordHash: row.password_hash };
  }

  async count(): Promise<number> {
    const row = await this.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Adds a customer; throws CustomerExists when the id or the email is taken. */
  async add(customer: NewCustomer): Promise<CustomerRecord> {
    const email = customer.email === null ? null : normalizeEmail(customer.email);
    const taken = await this.db
      .selectFrom('users')
      .select(['id', 'email'])
      .where((eb) => (email === null ? eb('id', '=', customer.id) : eb.or([eb('id', '=', customer.id), eb('email', '=', email)])))
      .executeTakeFirst();
    if (taken) throw new CustomerExists(taken.id === customer.id ? 'id' : 'email');
    const now = Date.now();
    const row: UserTable = {
      id: customer.id,
      email,
      name: customer.name,
      email_verified: customer.emailVerified === false ? 0 : 1,
      password_hash: customer.passwordHash,
      blocked: customer.blocked ? 1 : 0,
      created_at: now,
      updated_at: now,
    };
    const result = await this.db.insertInto('users').values(row).onConflict((oc) => oc.doNothing()).executeTakeFirst();
    // Lost a race against a concurrent add of the same id or email.
    if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 0) throw new CustomerExists('id');
    return toRecord(row);
  }

  async list(query: ListQuery): Promise<CustomerRecord[]> {
    let q = this.db.selectFrom('users').selectAll().orderBy('id').limit(query.limit);
    if (query.after !== undefined) q = q.where('id', '>', query.after);
    if (query.status) q = q.where('blocked', '=', query.status === 'blocked' ? 1 : 0);
    return (await q.execute()).map(toRecord);
  }

  /** Returns false when there is no such customer. */
  async setBlocked(id: string, blocked: boolean): Promise<boolean> {
    return this.update(id, { blocked: blocked ? 1 : 0 });
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<boolean> {
    return this.update(id, { password_hash: passwordHash });
  }

  /** Profile claims from an upstream IdP, refreshed at each of its logins. */
  async setProfile(id: string, profile: { name: string; email: string | null; emailVerified: boolean }): Promise<boolean> {
    const email = profile.email === null ? null : normalizeEmail(profile.email);
    return this.update(id, { name: profile.name, email, email_verified: profile.emailVerified ? 1 : 0 });
  }

  /**
   * Deletes the customer and, in the same transaction, every grant, token and session the OP
   * holds for them. Returns undefined when there is no such customer.
   */
  async delete(id: string): Promise<{ grants: string[]; sessions: number } | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return undefined;
      return revokeCustomerAccess(trx, id);
    });
  }

  private async update(id: string, set: Partial<UserTable>): Promise<boolean> {
    const result = await this.db
      .updateTable('users')
      .set({ ...set, updated_at: Date.now() })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
