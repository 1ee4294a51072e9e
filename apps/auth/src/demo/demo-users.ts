import type { Logger } from '@apps/shared';
import { hashPassword } from '../customers/passwords.js';
import type { CustomerStore } from '../customers/store.js';
import { CustomerExists } from '../errors.js';

interface DemoUser {
  id: string;
  email: string;
  name: string;
  password: string;
  blocked?: boolean;
}

/** The demo customers (sub == FDX customer id in the API). Development only: refused in production. */
export const DEMO_USERS: readonly DemoUser[] = [
  { id: 'cust-10001', email: 'user@example.test', name: 'Demo User', password: 'passw0rd!' },
  { id: 'cust-10002', email: 'user2@example.test', name: 'Second Customer', password: 'passw0rd!' },
  { id: 'cust-10003', email: 'blocked@example.test', name: 'Blocked User', password: 'passw0rd!', blocked: true },
];

/** Adds the demo customers that are missing (idempotent). */
export async function seedDemoUsers(store: CustomerStore, logger?: Logger): Promise<void> {
  for (const user of DEMO_USERS) {
    if (await store.find(user.id)) continue;
    try {
      await store.add({ id: user.id, email: user.email, name: user.name, passwordHash: await hashPassword(user.password), blocked: user.blocked ?? false });
      logger?.info({ sub: user.id }, 'demo user seeded');
    } catch (err) {
      if (!(err instanceof CustomerExists)) throw err;
    }
  }
}
