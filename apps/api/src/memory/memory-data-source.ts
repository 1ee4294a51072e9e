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
import { renderStatementPdf, STATEMENT_PDF_MAX_LINES, statementPeriod } from '../pdf/statement-pdf.js';

/** One account and everything served about it, as plain records. */
export interface MemoryAccount extends Account {
  contact: AccountContact;
  transactions?: Transaction[];
  /** A statement with `document` serves it; without, a PDF is rendered. */
  statements?: Array<Statement & { document?: StatementDocument }>;
  paymentNetworks?: PaymentNetwork[];
  assetTransferNetworks?: AssetTransferNetwork[];
}

export interface MemoryCustomer {
  id: string;
  accounts: MemoryAccount[];
}

interface Held {
  account: Account;
  record: MemoryAccount;
  /** Newest first, as the port orders them. */
  transactions: Transaction[];
  statements: Array<Statement & { document?: StatementDocument }>;
  paymentNetworks: PaymentNetwork[];
  assetTransferNetworks: AssetTransferNetwork[];
}

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const newestFirst = <T extends { id: string }>(key: (item: T) => number | string) => (a: T, b: T) => {
  const ka = key(a);
  const kb = key(b);
  return ka < kb ? 1 : ka > kb ? -1 : -byId(a, b);
};

/** Items after the one whose id is `after` (ids are unique within a list), at most `limit`. */
function pageOf<T extends { id: string }, R>(sorted: readonly T[], { after, limit }: PageQuery, map: (item: T) => R): Page<R> {
  const start = after === undefined ? 0 : sorted.findIndex((item) => item.id === after) + 1;
  if (start === 0 && after !== undefined) return { items: [] };
  const items = sorted.slice(start, start + limit);
  const more = start + limit < sorted.length;
  return { items: items.map(map), ...(more ? { next: items.at(-1)!.id } : {}) };
}

const plain = <T>(item: T) => item;

function accountOf(record: MemoryAccount): Account {
  const { id, category, accountType, status, accountNumber, productName, nickname, currency, details } = record;
  return { id, category, accountType, status, accountNumber, productName, nickname, currency, details };
}

function descriptorOf({ details: _details, ...descriptor }: Account): AccountDescriptor {
  return descriptor;
}

class MemoryCustomerData implements CustomerData {
  constructor(
    readonly customerId: string,
    private readonly held: ReadonlyMap<string, Held>,
    private readonly institutionName: string,
  ) {}

  private of(account: Account): Held {
    const held = this.held.get(account.id);
    if (!held) throw new Error("an account of another customer reached this customer's data");
    return held;
  }

  async accounts(page: PageQuery): Promise<Page<AccountDescriptor>> {
    const sorted = [...this.held.values()].map((h) => h.account).sort(byId);
    return pageOf(sorted, page, descriptorOf);
  }

  async account(accountId: string): Promise<Account | undefined> {
    return this.held.get(accountId)?.account;
  }

  async contact(account: Account): Promise<AccountContact> {
    return this.of(account).record.contact;
  }

  async paymentNetworks(account: Account, page: PageQuery): Promise<Page<PaymentNetwork>> {
    return pageOf(this.of(account).paymentNetworks, page, plain);
  }

  async assetTransferNetworks(account: Account, page: PageQuery): Promise<Page<AssetTransferNetwork>> {
    return pageOf(this.of(account).assetTransferNetworks, page, plain);
  }

  async transactions(account: Account, range: TimeRange, page: PageQuery): Promise<Page<Transaction>> {
    const inRange = this.of(account).transactions.filter((t) => t.postedAt >= range.from && t.postedAt <= range.to);
    return pageOf(inRange, page, plain);
  }

  async statements(account: Account, range: DateRange, page: PageQuery): Promise<Page<Statement>> {
    const inRange = this.of(account).statements.filter((s) => s.statementDate >= range.from && s.statementDate <= range.to);
    return pageOf(inRange, page, ({ document: _document, ...statement }) => statement);
  }

  async statement(account: Account, statementId: string): Promise<Statement | undefined> {
    const found = this.of(account).statements.find((s) => s.id === statementId);
    if (!found) return undefined;
    const { document: _document, ...statement } = found;
    return statement;
  }

  async statementDocument(account: Account, statement: Statement): Promise<StatementDocument> {
    const held = this.of(account);
    const stored = held.statements.find((s) => s.id === statement.id)?.document;
    if (stored) return stored;
    const { from, to } = statementPeriod(statement);
    const transactions = held.transactions
      .filter((t) => t.postedAt >= from && t.postedAt <= to)
      .reverse()
      .slice(0, STATEMENT_PDF_MAX_LINES + 1);
    return { contentType: 'application/pdf', content: renderStatementPdf({ institutionName: this.institutionName, account, statement, transactions }) };
  }
}

/**
 * The data port over plain records held in memory: small, for tests and as a reference for
 * adapter authors. Lists are sorted once; a page key is the id of the last item served.
 */
export class MemoryDataSource implements FdxDataSource {
  private readonly customers = new Map<string, Map<string, Held>>();

  constructor(
    customers: readonly MemoryCustomer[],
    private readonly options: { institutionName: string },
  ) {
    for (const customer of customers) {
      const accounts = new Map<string, Held>();
      for (const record of customer.accounts) {
        accounts.set(record.id, {
          account: accountOf(record),
          record,
          transactions: [...(record.transactions ?? [])].sort(newestFirst((t) => t.postedAt)),
          statements: [...(record.statements ?? [])].sort(newestFirst((s) => s.statementDate)),
          paymentNetworks: [...(record.paymentNetworks ?? [])].sort(byId),
          assetTransferNetworks: [...(record.assetTransferNetworks ?? [])].sort(byId),
        });
      }
      this.customers.set(customer.id, accounts);
    }
  }

  forCustomer(customerId: string): CustomerData {
    return new MemoryCustomerData(customerId, this.customers.get(customerId) ?? new Map(), this.options.institutionName);
  }
}
