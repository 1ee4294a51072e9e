import type { Kysely, Selectable } from 'kysely';
import type {
  AccountTable,
  ApiSchema,
  AssetTransferNetworkTable,
  PaymentNetworkTable,
  StatementTable,
  TransactionTable,
} from './schema.js';

export type AccountRow = Selectable<AccountTable>;
export type AccountDescriptorRow = Omit<AccountRow, 'customer_id' | 'details' | 'contact'>;
export type TransactionRow = Selectable<TransactionTable>;
export type StatementRow = Selectable<StatementTable>;
export type PaymentNetworkRow = Selectable<PaymentNetworkTable>;
export type AssetTransferNetworkRow = Selectable<AssetTransferNetworkTable>;

declare const owned: unique symbol;
/** An account proven to belong to the customer; only CustomerRepository.findAccount makes one. */
export type OwnedAccount = AccountRow & { readonly [owned]: true };

/** Inclusive bounds in epoch milliseconds. */
export interface TimeRange {
  from: number;
  to: number;
}

/** Inclusive bounds as YYYY-MM-DD. */
export interface DateRange {
  from: string;
  to: string;
}

/**
 * Data access for one customer. Every query starts from the customer id of the token's
 * `sub`: another customer's account is not found, exactly like a missing one. Lists ask
 * for `limit + 1` rows so the caller knows whether another page exists.
 */
export class CustomerRepository {
  constructor(
    private readonly db: Kysely<ApiSchema>,
    readonly customerId: string,
  ) {}

  /** The list shows descriptors only: the large JSON columns (details, contact) stay in the database. */
  async listAccounts(afterId: string | undefined, limit: number): Promise<AccountDescriptorRow[]> {
    let query = this.db
      .selectFrom('account')
      .select(['id', 'category', 'account_type', 'status', 'account_number', 'product_name', 'nickname', 'currency'])
      .where('customer_id', '=', this.customerId);
    if (afterId !== undefined) query = query.where('id', '>', afterId);
    return query.orderBy('id').limit(limit + 1).execute();
  }

  async findAccount(accountId: string): Promise<OwnedAccount | undefined> {
    const row = await this.db
      .selectFrom('account')
      .selectAll()
      .where('customer_id', '=', this.customerId)
      .where('id', '=', accountId)
      .executeTakeFirst();
    return row as OwnedAccount | undefined;
  }

  /** Newest first; `after` is the (posted_at, id) of the last row of the previous page. */
  async listTransactions(
    account: OwnedAccount,
    range: TimeRange,
    after: readonly [number, string] | undefined,
    limit: number,
  ): Promise<TransactionRow[]> {
    let query = this.db
      .selectFrom('transaction')
      .selectAll()
      .where('account_id', '=', account.id)
      .where('posted_at', '>=', range.from)
      .where('posted_at', '<=', range.to);
    if (after) {
      query = query.where((eb) => eb(eb.refTuple('posted_at', 'id'), '<', eb.tuple(after[0], after[1])));
    }
    return query.orderBy('posted_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
  }

  /** Oldest first, for rendering a statement. */
  async transactionsBetween(account: OwnedAccount, range: TimeRange, max: number): Promise<TransactionRow[]> {
    return this.db
      .selectFrom('transaction')
      .selectAll()
      .where('account_id', '=', account.id)
      .where('posted_at', '>=', range.from)
      .where('posted_at', '<=', range.to)
      .orderBy('posted_at')
      .orderBy('id')
      .limit(max)
      .execute();
  }

  /** Newest first; `after` is the (statement_date, id) of the last row of the previous page. */
  async listStatements(
    account: OwnedAccount,
    range: DateRange,
    after: readonly [string, string] | undefined,
    limit: number,
  ): Promise<StatementRow[]> {
    let query = this.db
      .selectFrom('statement')
      .selectAll()
      .where('account_id', '=', account.id)
      .where('statement_date', '>=', range.from)
      .where('statement_date', '<=', range.to);
    if (after) {
      query = query.where((eb) => eb(eb.refTuple('statement_date', 'id'), '<', eb.tuple(after[0], after[1])));
    }
    return query.orderBy('statement_date', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
  }

  async findStatement(account: OwnedAccount, statementId: string): Promise<StatementRow | undefined> {
    return this.db
      .selectFrom('statement')
      .selectAll()
      .where('account_id', '=', account.id)
      .where('id', '=', statementId)
      .executeTakeFirst();
  }

  async listPaymentNetworks(account: OwnedAccount, afterId: string | undefined, limit: number): Promise<PaymentNetworkRow[]> {
    let query = this.db.selectFrom('payment_network').selectAll().where('account_id', '=', account.id);
    if (afterId !== undefined) query = query.where('id', '>', afterId);
    return query.orderBy('id').limit(limit + 1).execute();
  }

  async listAssetTransferNetworks(
    account: OwnedAccount,
    afterId: string | undefined,
    limit: number,
  ): Promise<AssetTransferNetworkRow[]> {
    let query = this.db.selectFrom('asset_transfer_network').selectAll().where('account_id', '=', account.id);
    if (afterId !== undefined) query = query.where('id', '>', afterId);
    return query.orderBy('id').limit(limit + 1).execute();
  }
}

export class Repository {
  constructor(readonly db: Kysely<ApiSchema>) {}

  forCustomer(customerId: string): CustomerRepository {
    return new CustomerRepository(this.db, customerId);
  }

  async isEmpty(): Promise<boolean> {
    const row = await this.db.selectFrom('customer').select('id').limit(1).executeTakeFirst();
    return row === undefined;
  }
}
