import type { AuthConfig } from '../config.js';

/** A client's consent duration in days: its consent_duration_days or CONSENT_DURATION_DAYS, never beyond CONSENT_MAX_DAYS. */
export function consentDurationDays(client: Record<string, unknown> | undefined, consents: AuthConfig['consents']): number {
  const own = client?.['consent_duration_days'];
  const days = typeof own === 'number' && Number.isInteger(own) && own > 0 ? own : consents.durationDays;
  return Math.min(days, consents.maxDays);
}

/** Whether the consent page asks the customer which accounts to share (client metadata account_selection, default true). */
export const selectsAccounts = (client: Record<string, unknown> | undefined) => client?.['account_selection'] !== false;
