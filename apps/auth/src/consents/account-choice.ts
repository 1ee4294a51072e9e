import { isEligible, type CatalogAccount } from './account-catalog.js';

/** One account as the consent page lists it. */
export interface AccountChoice {
  accountId: string;
  /** The nickname, else the type and masked number. */
  label: string;
  /** Type and masked number, in plain words. */
  description: string;
  checked: boolean;
}

const words = (code: string | undefined) => (code ? code.toLowerCase().replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()) : undefined);

/** The eligible accounts, each checked, or only those in `chosen` when the page is shown again. */
export function accountChoices(accounts: CatalogAccount[], chosen?: string[]): AccountChoice[] {
  return accounts.filter(isEligible).map((a) => {
    const kind = words(a.accountType) ?? words(a.accountCategory.replace(/_ACCOUNT$/, '')) ?? 'Account';
    const number = a.accountNumberDisplay ? `ending ${a.accountNumberDisplay.replace(/^[^0-9A-Za-z]+/, '')}` : undefined;
    const description = [kind, number].filter(Boolean).join(' · ');
    return { accountId: a.accountId, label: a.nickname?.trim() || description, description, checked: chosen ? chosen.includes(a.accountId) : true };
  });
}

/**
 * What the customer chose: the submitted `account` values among their eligible accounts. At least
 * one when they have any (none to choose from: an empty list, nothing shared); unknown values are
 * ignored, never shared.
 */
export function chosenAccounts(accounts: CatalogAccount[], submitted: unknown): { ok: true; accountIds: string[] } | { ok: false } {
  const values = new Set((Array.isArray(submitted) ? submitted : [submitted]).filter((v): v is string => typeof v === 'string'));
  const eligible = accounts.filter(isEligible).map((a) => a.accountId);
  const accountIds = eligible.filter((id) => values.has(id));
  if (eligible.length > 0 && accountIds.length === 0) return { ok: false };
  return { ok: true, accountIds };
}
