import type { AccessToken } from '../auth/verifier.js';
import type {
  Account,
  AccountContact,
  AccountDescriptor,
  AssetTransferNetwork,
  CustomerData,
  DateRange,
  FdxDataSource,
  Page,
  PageQuery,
  PaymentNetwork,
  Statement,
  StatementDocument,
  TimeRange,
  Transaction,
} from '../data-source.js';

/** How many descriptors one look-ahead reads to learn whether another selected account follows a full page. */
const LOOK_AHEAD = 500;

/**
 * One customer's data narrowed to the accounts selected for a consent (the token's `account_ids`).
 * Every route reaches an account's data only through an `Account` that `account()` returned, so
 * gating `account()` and the list gates every endpoint: a customer's unselected account is not
 * found, exactly like another customer's. Applied by the API over any data source, so an adapter
 * cannot get it wrong (and needs to know nothing about consents). A class, not closures: one is
 * made per request.
 */
export class SelectedAccounts implements CustomerData {
  constructor(
    private readonly data: CustomerData,
    private readonly selected: ReadonlySet<string>,
  ) {}

  get customerId(): string {
    return this.data.customerId;
  }

  account(accountId: string): Promise<Account | undefined> {
    return this.selected.has(accountId) ? this.data.account(accountId) : Promise.resolve(undefined);
  }

  /**
   * The source's own order and page keys. Each source page asked for is exactly as long as what
   * is still missing, so the source's `next` always follows the last item considered; a full page
   * looks ahead once so `next` is given exactly when another selected account remains.
   */
  async accounts({ after, limit }: PageQuery): Promise<Page<AccountDescriptor>> {
    const items: AccountDescriptor[] = [];
    let cursor = after;
    for (;;) {
      const page = await this.data.accounts({ after: cursor, limit: limit - items.length });
      for (const item of page.items) if (this.selected.has(item.id)) items.push(item);
      if (page.next === undefined) return { items };
      cursor = page.next;
      if (items.length === limit) return (await this.anotherSelected(cursor)) ? { items, next: cursor } : { items };
    }
  }

  private async anotherSelected(after: string): Promise<boolean> {
    for (let cursor: string | undefined = after; cursor !== undefined; ) {
      const page = await this.data.accounts({ after: cursor, limit: LOOK_AHEAD });
      if (page.items.some((item) => this.selected.has(item.id))) return true;
      cursor = page.next;
    }
    return false;
  }

  // An account's own data: the Account came from account() above, so it is a selected one.
  contact(account: Account): Promise<AccountContact> {
    return this.data.contact(account);
  }

  paymentNetworks(account: Account, page: PageQuery): Promise<Page<PaymentNetwork>> {
    return this.data.paymentNetworks(account, page);
  }

  assetTransferNetworks(account: Account, page: PageQuery): Promise<Page<AssetTransferNetwork>> {
    return this.data.assetTransferNetworks(account, page);
  }

  transactions(account: Account, range: TimeRange, page: PageQuery): Promise<Page<Transaction>> {
    return this.data.transactions(account, range, page);
  }

  statements(account: Account, range: DateRange, page: PageQuery): Promise<Page<Statement>> {
    return this.data.statements(account, range, page);
  }

  statement(account: Account, statementId: string): Promise<Statement | undefined> {
    return this.data.statement(account, statementId);
  }

  statementDocument(account: Account, statement: Statement): Promise<StatementDocument> {
    return this.data.statementDocument(account, statement);
  }
}

/** The data a token may read: its customer's, narrowed to the consent's accounts when it names them (absent: all). */
export function customerDataFor(source: FdxDataSource, token: Pick<AccessToken, 'sub' | 'accountIds'>): CustomerData {
  const data = source.forCustomer(token.sub);
  return token.accountIds ? new SelectedAccounts(data, token.accountIds) : data;
}
