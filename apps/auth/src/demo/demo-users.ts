import type { Logger } from '@apps/shared';
import type { NewUser, UserRepository } from '../accounts/users.js';

/** The demo customers (sub == FDX customer id in the API). Development only. */
export const DEMO_USERS: readonly NewUser[] = [
  { id: 'cust-10001', email: 'user@example.test', name: 'Demo User', password: 'passw0rd!' },
  { id: 'cust-10002', email: 'user2@example.test', name: 'Second Customer', password: 'passw0rd!' },
  { id: 'cust-10003', email: 'blocked@example.test', name: 'Blocked User', password: 'passw0rd!', blocked: true },
];

export async function seedDemoUsers(users: UserRepository, logger?: Logger): Promise<void> {
  for (const user of DEMO_USERS) {
    if (await users.createIfAbsent(user)) logger?.info({ sub: user.id }, 'demo user seeded');
  }
}
