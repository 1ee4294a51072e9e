import type { AccountDescriptor, FdxDataSource } from '../data-source.js';

/** More than any customer has; the consent page lists at most this many. */
const MAX_ACCOUNTS = 5000;
const PAGE = 500;

/** One entry of the OP's account catalog (CONSENT-CONTRACT §4): what the consent page shows to choose from. */
export interface CatalogAccount {
  accountId: string;
  nickname?: string;
  accountNumberDisplay?: string;
  accountCategory: string;
  accountType?: string;
  status?: string;
}

function catalogEntry(account: AccountDescriptor): CatalogAccount {
  return {
    accountId: account.id,
    ...(account.nickname ? { nickname: account.nickname } : {}),
    // Masked as the FDX routes mask it: the last 4 digits only.
    ...(account.accountNumber ? { accountNumberDisplay: `…${account.accountNumber.slice(-4)}` } : {}),
    accountCategory: account.category,
    ...(account.accountType ? { accountType: account.accountType } : {}),
    ...(account.status ? { status: account.status } : {}),
  };
}

/** Every account of the customer, from the data source, with no consent filter (the OP decides eligibility from `status`). */
export async function customerAccounts(source: FdxDataSource, customerId: string): Promise<CatalogAccount[]> {
  const data = source.forCustomer(customerId);
  const accounts: CatalogAccount[] = [];
  for (let after: string | undefined, more = true; more && accounts.length < MAX_ACCOUNTS; ) {
    const page = await data.accounts({ after, limit: PAGE });
    accounts.push(...page.items.map(catalogEntry));
    after = page.next;
    more = after !== undefined;
  }
  return accounts.slice(0, MAX_ACCOUNTS);
}
