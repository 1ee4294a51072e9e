// How the e2e flows drive the OP's own pages (apps/auth). One place to adapt when the OP's
// login and consent views are merged: the flows only call these functions.
import type { Page } from 'playwright-core';

export const USERS = {
  demo: { email: 'user@example.test', password: 'passw0rd!', sub: 'cust-10001' },
  user2: { email: 'user2@example.test', password: 'passw0rd!', sub: 'cust-10002' },
  blocked: { email: 'blocked@example.test', password: 'passw0rd!', sub: 'cust-10003' },
} as const;

export async function signIn(page: Page, user: { email: string; password: string }): Promise<void> {
  await page.getByLabel(/email/i).fill(user.email);
  await page.getByLabel(/password/i).fill(user.password);
  await page.getByRole('button', { name: /sign in|log in|continue/i }).click();
}

export async function approveConsent(page: Page): Promise<void> {
  await page.getByRole('button', { name: /allow|approve|authorize|continue/i }).click();
}

export async function confirmLogout(page: Page): Promise<void> {
  await page.getByRole('button', { name: /sign me out|log out|yes/i }).click();
}
