import type { Kysely, Selectable } from 'kysely';
import type {
  Account,
  AccountCategory,
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
import { renderStatementPdf, STATEMENT_PDF_MAX_LINES, statementPeriod } from '../pdf/statement-pdf.js';
import type { ApiSchema, StatementTable, TransactionTable } from './schema.js';

/** JSON columns were validated when written (seed, import); here they are only parsed. */
const json = (text: string) => JSON.parse(text) as Record<string, unknown>;

const DESCRIPTOR_COLUMNS = ['id', 'category', 'account_type', 'status', 'account_number', 'product_name', 'nickname', 'currency'] as const;

function descriptor(row: Pick<Selectable<ApiSchema['account']>, (typeof DESCRIPTOR_COLUMNS)[number]>): AccountDescriptor {
  return {
    id: row.id,
    category: row.category as AccountCategory,
    accountType: row.account_type,
    status: row.status,
    accountNumber: row.account_number,
    productName: row.product_name,
    nickname: row.nickname ?? undefined,
    currency: row.currency,
  };
}

// PostgreSQL returns bigint and numeric columns as strings.
function transaction(row: Selectable<TransactionTable>): Transaction {
  return {
    id: row.id,
    postedAt: Number(row.posted_at),
    transactedAt: Number(row.transacted_at),
    status: row.status,
    debitCreditMemo: row.debit_credit,
    amount: Number(row.amount),
    description: row.description,
    details: json(row.details),
  };
}

function statement(row: Selectable<StatementTable>): Statement {
  return {
    id: row.id,
    statementDate: row.statement_date,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    openingBalance: Number(row.opening_balance),
    closingBalance: Number(row.closing_balance),
  };
}

/** Lists fetch limit + 1 rows: the extra row only says that another page exists. */
function page<R, T>(rows: R[], limit: number, map: (row: R) => T, keyOf: (row: R) => string): Page<T> {
  if (rows.length <= limit) return { items: rows.map(map) };
  const kept = rows.slice(0, limit);
  return { items: kept.map(map), next: keyOf(kept[kept.length - 1]!) };
}

/** Page keys of the time- and date-ordered lists: `<sort key>:<id>` (the sort key holds no colon). */
const compositeKey = (sortKey: string | number, id: string) => `${sortKey}:${id}`;

function splitKey(key: string): [string, string] {
  const at = key.indexOf(':');
  // Keys come back inside the API's signed cursors, so a malformed one is a bug, not bad input.
  if (at < 0) throw new Error('malformed page key');
  return [key.slice(0, at), key.slice(at + 1)];
}

/**
 * One customer's data in the API's SQL store. Every query starts from the customer id (accounts)
 * or from an account this customer's `account()` returned. Same queries and indexes as before the
 * port: keyset pages on (customer_id, id), (account_id, posted_at, id), (account_id, statement_date, id).
 */
class SqlCustomerData implements CustomerData {
  constructor(
    private readonly db: Kysely<ApiSchema>,
    readonly customerId: string,
    private readonly institutionName: string,
  ) {}

  /** The list shows descriptors only: the large JSON columns (details, contact) stay in the database. */
  async accounts({ after, limit }: PageQuery): Promise<Page<AccountDescriptor>> {
    let query = this.db.selectFrom('account').select(DESCRIPTOR_COLUMNS).where('customer_id', '=', this.customerId);
    if (after !== undefined) query = query.where('id', '>', after);
    const rows = await query.orderBy('id').limit(limit + 1).execute();
    return page(rows, limit, descriptor, (last) => last.id);
  }

  async account(accountId: string): Promise<Account | undefined> {
    const row = await this.db
      .selectFrom('account')
      .select([...DESCRIPTOR_COLUMNS, 'details'])
      .where('customer_id', '=', this.customerId)
      .where('id', '=', accountId)
      .executeTakeFirst();
    return row && { ...descriptor(row), details: json(row.details) };
  }

  async contact(account: Account): Promise<AccountContact> {
    const row = await this.db
      .selectFrom('account')
      .select('contact')
      .where('customer_id', '=', this.customerId)
      .where('id', '=', account.id)
      .executeTakeFirstOrThrow();
    return json(row.contact);
  }

  async paymentNetworks(account: Account, { after, limit }: PageQuery): Promise<Page<PaymentNetwork>> {
    let query = this.db.selectFrom('payment_network').selectAll().where('account_id', '=', account.id);
    if (after !== undefined) query = query.where('id', '>', after);
    const rows = await query.orderBy('id').limit(limit + 1).execute();
    return page(
      rows,
      limit,
      (r) => ({ id: r.id, bankId: r.bank_id, identifier: r.identifier, type: r.type, transferIn: Number(r.transfer_in) === 1, transferOut: Number(r.transfer_out) === 1 }),
      (last) => last.id,
    );
  }

  async assetTransferNetworks(account: Account, { after, limit }: PageQuery): Promise<Page<AssetTransferNetwork>> {
    let query = this.db.selectFrom('asset_transfer_network').selectAll().where('account_id', '=', account.id);
    if (after !== undefined) query = query.where('id', '>', after);
    const rows = await query.orderBy('id').limit(limit + 1).execute();
    return page(
      rows,
      limit,
      (r) => ({
        id: r.id,
        identifier: r.identifier,
        identifierType: r.identifier_type,
        institutionName: r.institution_name,
        institutionId: r.institution_id,
        type: r.type,
        jointAccount: Number(r.joint_account) === 1,
      }),
      (last) => last.id,
    );
  }

  async transactions(account: Account, range: TimeRange, { after, limit }: PageQuery): Promise<Page<Transaction>> {
    let query = this.db
      .selectFrom('transaction')
      .selectAll()
      .where('account_id', '=', account.id)
      .where('posted_at', '>=', range.from)
      .where('posted_at', '<=', range.to);
    if (after !== undefined) {
      const [postedAt, id] = splitKey(after);
      query = query.where((eb) => eb(eb.refTuple('posted_at', 'id'), '<', eb.tuple(Number(postedAt), id)));
    }
    const rows = await query.orderBy('posted_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    return page(rows, limit, transaction, (last) => compositeKey(Number(last.posted_at), last.id));
  }

  async statements(account: Account, range: DateRange, { after, limit }: PageQuery): Promise<Page<Statement>> {
    let query = this.db
      .selectFrom('statement')
      .selectAll()
      .where('account_id', '=', account.id)
      .where('statement_date', '>=', range.from)
      .where('statement_date', '<=', range.to);
    if (after !== undefined) {
      const [date, id] = splitKey(after);
      query = query.where((eb) => eb(eb.refTuple('statement_date', 'id'), '<', eb.tuple(date, id)));
    }
    const rows = await query.orderBy('statement_date', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    return page(rows, limit, statement, (last) => compositeKey(last.statement_date, last.id));
  }

  async statement(account: Account, statementId: string): Promise<Statement | undefined> {
    const row = await this.db
      .selectFrom('statement')
      .selectAll()
      .where('account_id', '=', account.id)
      .where('id', '=', statementId)
      .executeTakeFirst();
    return row && statement(row);
  }

  /** The bank's own PDF when one was imported (table statement_document), else one rendered from the period's transactions. */
  async statementDocument(account: Account, stmt: Statement): Promise<StatementDocument> {
    const stored = await this.db
      .selectFrom('statement_document')
      .innerJoin('statement', 'statement.id', 'statement_document.statement_id')
      .select(['statement_document.content_type', 'statement_document.content'])
      .where('statement.account_id', '=', account.id)
      .where('statement_document.statement_id', '=', stmt.id)
      .executeTakeFirst();
    if (stored) return { contentType: stored.content_type, content: stored.content };
    const { from, to } = statementPeriod(stmt);
    const rows = await this.db
      .selectFrom('transaction')
      .selectAll()
      .where('account_id', '=', account.id)
      .where('posted_at', '>=', from)
      .where('posted_at', '<=', to)
      .orderBy('posted_at')
      .orderBy('id')
      .limit(STATEMENT_PDF_MAX_LINES + 1)
      .execute();
    const content = renderStatementPdf({ institutionName: this.institutionName, account, statement: stmt, transactions: rows.map(transaction) });
    return { contentType: 'application/pdf', content };
  }
}

/** The SQL store (SQLite or PostgreSQL, the API's own database) as the FDX data source. */
export class SqlDataSource implements FdxDataSource {
  constructor(
    readonly db: Kysely<ApiSchema>,
    private readonly options: { institutionName: string },
  ) {}

  forCustomer(customerId: string): CustomerData {
    return new SqlCustomerData(this.db, customerId, this.options.institutionName);
  }

  /** True while no customer has been loaded (start-up warns about it in production). */
  async isEmpty(): Promise<boolean> {
    const row = await this.db.selectFrom('customer').select('id').limit(1).executeTakeFirst();
    return row === undefined;
  }
}
