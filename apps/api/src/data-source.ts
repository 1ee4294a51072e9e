/**
 * The data port: everything the FDX routes read, and nothing else. A bank plugs in its own
 * store or core system by implementing `FdxDataSource` (README, "Your own data adapter");
 * the SQL store (db/sql-data-source.ts) and an in-memory one (memory/) are the shipped adapters.
 *
 * Customer-scoped by construction: the routes call `forCustomer(token.sub)` once per request
 * and reach accounts only through it, and an account's data only through an `Account` that
 * this customer's `account()` returned. Another customer's account must be "not found",
 * exactly like a missing one. When the token's consent names its accounts (`account_ids`), the
 * API narrows the customer's data to them itself (consent/selected-accounts.ts): a source never
 * sees consents and cannot leak an unselected account.
 *
 * Values are plain data, already in FDX terms: the API serializes them without interpreting them.
 */

export type AccountCategory = 'DEPOSIT_ACCOUNT' | 'LOAN_ACCOUNT' | 'LOC_ACCOUNT' | 'INVESTMENT_ACCOUNT';

/** What `/accounts` lists. `status` OPEN serves everything; CLOSED answers 409/705 and RESTRICTED 403/706 on data endpoints. */
export interface AccountDescriptor {
  id: string;
  category: AccountCategory;
  /** FDX accountType: CHECKING, SAVINGS, MORTGAGE, CREDITCARD, TAXABLE, ROTH… */
  accountType: string;
  status: string;
  /** The full number; the API shows its last 4 digits as accountNumberDisplay. */
  accountNumber: string;
  productName: string;
  nickname?: string | undefined;
  /** ISO 4217 code. */
  currency: string;
}

/** One account with its category's FDX detail fields (balances, rates, holdings…), merged into the response as they are. */
export interface Account extends AccountDescriptor {
  details: Record<string, unknown>;
}

/** FDX AccountContact (holders, emails, addresses, telephones), served as it is. */
export type AccountContact = Record<string, unknown>;

export interface Transaction {
  id: string;
  /** Epoch ms: the sort and filter key (posted time, or for pending items the transaction time). */
  postedAt: number;
  transactedAt: number;
  /** POSTED | PENDING | … */
  status: string;
  /** DEBIT | CREDIT */
  debitCreditMemo: string;
  amount: number;
  description: string;
  /** Category-specific FDX fields (payee, checkNumber, transactionType, fees, symbol…), merged as they are. */
  details: Record<string, unknown>;
}

export interface Statement {
  id: string;
  /** YYYY-MM-DD; the list is ordered and filtered by it. */
  statementDate: string;
  periodStart: string;
  periodEnd: string;
  openingBalance: number;
  closingBalance: number;
}

export interface StatementDocument {
  contentType: string;
  content: Uint8Array;
}

export interface PaymentNetwork {
  id: string;
  bankId: string;
  identifier: string;
  /** US_ACH, US_FEDNOW, … */
  type: string;
  transferIn: boolean;
  transferOut: boolean;
}

export interface AssetTransferNetwork {
  id: string;
  identifier: string;
  identifierType: string;
  institutionName: string;
  institutionId: string;
  /** US_ACATS, US_DTC, … */
  type: string;
  jointAccount: boolean;
}

/**
 * One page request. `after` is a `next` this source returned for the same list (opaque to the
 * API, which signs it into the client's cursor, so it comes back unchanged or not at all).
 */
export interface PageQuery {
  after?: string | undefined;
  /** 1..500 */
  limit: number;
}

/** At most `limit` items; `next` exactly when more remain (it positions just after the last item). */
export interface Page<T> {
  items: T[];
  next?: string | undefined;
}

/** Inclusive bounds in epoch ms, on `postedAt`. */
export interface TimeRange {
  from: number;
  to: number;
}

/** Inclusive bounds as YYYY-MM-DD, on `statementDate`. */
export interface DateRange {
  from: string;
  to: string;
}

/** The data of one customer (the access token's subject). */
export interface CustomerData {
  readonly customerId: string;
  /** This customer's accounts, ordered by a stable key (the SQL store: id). */
  accounts(page: PageQuery): Promise<Page<AccountDescriptor>>;
  /** This customer's account, or undefined when it is missing or another customer's. */
  account(accountId: string): Promise<Account | undefined>;
  contact(account: Account): Promise<AccountContact>;
  paymentNetworks(account: Account, page: PageQuery): Promise<Page<PaymentNetwork>>;
  assetTransferNetworks(account: Account, page: PageQuery): Promise<Page<AssetTransferNetwork>>;
  /** Newest first (postedAt, then id, descending), within the range. */
  transactions(account: Account, range: TimeRange, page: PageQuery): Promise<Page<Transaction>>;
  /** Newest first (statementDate, then id, descending), within the range. */
  statements(account: Account, range: DateRange, page: PageQuery): Promise<Page<Statement>>;
  statement(account: Account, statementId: string): Promise<Statement | undefined>;
  /** The statement's document (its PDF): the stored one, or one rendered with `renderStatementPdf`. */
  statementDocument(account: Account, statement: Statement): Promise<StatementDocument>;
}

export interface FdxDataSource {
  forCustomer(customerId: string): CustomerData;
}

/** Throw when the system behind the source is down: the API answers 503 with Retry-After (FDX 501). */
export class DataSourceUnavailableError extends Error {
  constructor(message = 'The data source is unavailable', options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DataSourceUnavailableError';
  }
}

/** Throw from an operation the source does not offer: the API answers 501 in the FDX error format. */
export class UnsupportedOperationError extends Error {
  constructor(readonly operation: string) {
    super(`The data source does not support ${operation}`);
    this.name = 'UnsupportedOperationError';
  }
}
