import type { AccessToken } from '../auth/verifier.js';
import type { Account, AccountDescriptor, CustomerData, FdxDataSource, Page, PageQuery } from '../data-source.js';

/** How many descriptors one look-ahead reads to learn whether another selected account follows a full page. */
const LOOK_AHEAD = 500;

/**
 * One customer's data narrowed to the accounts selected for a consent (the token's `account_ids`).
 * Every route reaches an account's data only through an `Account` that `account()` returned, so
 * gating `account()` and the list gates every endpoint: a customer's unselected account is not
 * found, exactly like another customer's. Applied by the API over any data source, so an adapter
 * cannot get it wrong (and needs to know nothing about consents).
 */
export function selectedAccounts(data: CustomerData, selected: ReadonlySet<string>): CustomerData {
  const account = async (accountId: string): Promise<Account | undefined> => (selected.has(accountId) ? data.account(accountId) : undefined);

  /**
   * The source's own order and page keys. Each source page asked for is exactly as long as what
   * is still missing, so the source's `next` always follows the last item considered; a full page
   * looks ahead once so `next` is given exactly when another selected account remains.
   */
  const accounts = async ({ after, limit }: PageQuery): Promise<Page<AccountDescriptor>> => {
    const items: AccountDescriptor[] = [];
    let cursor = after;
    for (;;) {
      const page = await data.accounts({ after: cursor, limit: limit - items.length });
      for (const item of page.items) if (selected.has(item.id)) items.push(item);
      if (page.next === undefined) return { items };
      cursor = page.next;
      if (items.length === limit) return (await anotherSelected(cursor)) ? { items, next: cursor } : { items };
    }
  };

  const anotherSelected = async (after: string): Promise<boolean> => {
    for (let cursor: string | undefined = after; cursor !== undefined; ) {
      const page = await data.accounts({ after: cursor, limit: LOOK_AHEAD });
      if (page.items.some((item) => selected.has(item.id))) return true;
      cursor = page.next;
    }
    return false;
  };

  return {
    customerId: data.customerId,
    accounts,
    account,
    contact: (a) => data.contact(a),
    paymentNetworks: (a, page) => data.paymentNetworks(a, page),
    assetTransferNetworks: (a, page) => data.assetTransferNetworks(a, page),
    transactions: (a, range, page) => data.transactions(a, range, page),
    statements: (a, range, page) => data.statements(a, range, page),
    statement: (a, id) => data.statement(a, id),
    statementDocument: (a, s) => data.statementDocument(a, s),
  };
}

/** The data a token may read: its customer's, narrowed to the consent's accounts when it names them (absent: all). */
export function customerDataFor(source: FdxDataSource, token: Pick<AccessToken, 'sub' | 'accountIds'>): CustomerData {
  const data = source.forCustomer(token.sub);
  return token.accountIds ? selectedAccounts(data, token.accountIds) : data;
}
