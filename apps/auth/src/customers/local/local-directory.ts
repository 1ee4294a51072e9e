import type { Customer, CustomerDirectory, PasswordLogin } from '../directory.js';
import { hashPassword, makeDummyHash, needsRehash, verifyPassword } from '../passwords.js';
import type { CustomerRecord, CustomerStore } from '../store.js';

/** Whether failed passwords currently lock this email (the LoginGuard's lockout counter). */
export type LockoutCheck = (email: string) => Promise<boolean>;

/** A stored record as the port's Customer: blocked by an operator wins over a temporary lockout. */
export async function toCustomer(record: CustomerRecord, isLocked?: LockoutCheck): Promise<Customer> {
  const locked = !record.blocked && record.email !== null && isLocked ? await isLocked(record.email) : false;
  return {
    id: record.id,
    status: record.blocked ? 'blocked' : locked ? 'locked' : 'active',
    claims: {
      name: record.name,
      ...(record.email === null ? {} : { email: record.email, email_verified: record.emailVerified }),
    },
  };
}

/** Customers and argon2id passwords in the OP's own database, managed with `pnpm kit customers`. */
export class LocalCustomerDirectory implements CustomerDirectory {
  readonly login: PasswordLogin;
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly store: CustomerStore,
    private readonly isLocked?: LockoutCheck,
  ) {
    this.login = { kind: 'password', authenticate: (email, password) => this.authenticate(email, password) };
  }

  async find(id: string, options: { lockout?: boolean } = {}): Promise<Customer | undefined> {
    const record = await this.store.find(id);
    return record && toCustomer(record, options.lockout === false ? undefined : this.isLocked);
  }

  /**
   * Unknown emails and customers without a password still pay for one argon2 verification, so
   * response time does not reveal which emails exist. Rehashes outdated hashes.
   */
  private async authenticate(email: string, password: string): Promise<Customer | undefined> {
    const found = await this.store.credentials(email);
    if (!found?.passwordHash) {
      this.dummyHash ??= makeDummyHash();
      await verifyPassword(await this.dummyHash, password);
      return undefined;
    }
    if (!(await verifyPassword(found.passwordHash, password))) return undefined;
    if (needsRehash(found.passwordHash)) await this.store.setPasswordHash(found.customer.id, await hashPassword(password));
    // Just proven: a correct password is not a lockout (the LoginGuard resets the counter).
    return toCustomer(found.customer);
  }
}
