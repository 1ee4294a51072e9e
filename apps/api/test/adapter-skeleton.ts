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
} from '../src/data-source.js';
import { DataSourceUnavailableError } from '../src/data-source.js';

/** Where your core system answers, and how this service authenticates to it. */
export interface CoreConnection {
  baseUrl: string;
  token: string;
}

/** The FDX data port over a core banking system's HTTP API; one instance serves every request. */
export class CoreBankingDataSource implements FdxDataSource {
  constructor(private readonly core: CoreConnection) {}

  forCustomer(customerId: string): CustomerData {
    return new CoreCustomerData(this.core, customerId);
  }
}

type Query = Record<string, string | number | undefined>;

class CoreCustomerData implements CustomerData {
  constructor(
    private readonly core: CoreConnection,
    readonly customerId: string,
  ) {}

  /** Every call names the customer, so the core itself scopes it. 404 → undefined; down → 503 to the client. */
  private async call(path: string, query: Query = {}): Promise<Response | undefined> {
    const url = new URL(`${this.core.baseUrl}/customers/${encodeURIComponent(this.customerId)}${path}`);
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value));
    let res: Response;
    try {
      res = await fetch(url, { headers: { authorization: `Bearer ${this.core.token}` }, signal: AbortSignal.timeout(5000) });
    } catch (cause) {
      throw new DataSourceUnavailableError('the core banking system is unreachable', { cause });
    }
    if (res.status === 404) return undefined;
    if (res.status >= 500) throw new DataSourceUnavailableError(`the core banking system answered ${res.status}`);
    if (!res.ok) throw new Error(`the core banking system answered ${res.status} to ${url.pathname}`);
    return res;
  }

  /** Your core's records, mapped to the port's types (here the core already answers in them). */
  private async json<T>(path: string, query?: Query): Promise<T | undefined> {
    const res = await this.call(path, query);
    return res && ((await res.json()) as T);
  }

  private async found<T>(path: string, query?: Query): Promise<T> {
    const body = await this.json<T>(path, query);
    if (body === undefined) throw new Error(`the core banking system has no ${path}`);
    return body;
  }

  private readonly pathOf = (account: Account) => `/accounts/${encodeURIComponent(account.id)}`;

  accounts(page: PageQuery): Promise<Page<AccountDescriptor>> {
    return this.found('/accounts', { ...page });
  }

  account(accountId: string): Promise<Account | undefined> {
    return this.json(`/accounts/${encodeURIComponent(accountId)}`);
  }

  contact(account: Account): Promise<AccountContact> {
    return this.found(`${this.pathOf(account)}/contact`);
  }

  paymentNetworks(account: Account, page: PageQuery): Promise<Page<PaymentNetwork>> {
    return this.found(`${this.pathOf(account)}/payment-networks`, { ...page });
  }

  assetTransferNetworks(account: Account, page: PageQuery): Promise<Page<AssetTransferNetwork>> {
    return this.found(`${this.pathOf(account)}/asset-transfer-networks`, { ...page });
  }

  transactions(account: Account, range: TimeRange, page: PageQuery): Promise<Page<Transaction>> {
    return this.found(`${this.pathOf(account)}/transactions`, { ...range, ...page });
  }

  statements(account: Account, range: DateRange, page: PageQuery): Promise<Page<Statement>> {
    return this.found(`${this.pathOf(account)}/statements`, { ...range, ...page });
  }

  statement(account: Account, statementId: string): Promise<Statement | undefined> {
    return this.json(`${this.pathOf(account)}/statements/${encodeURIComponent(statementId)}`);
  }

  async statementDocument(account: Account, statement: Statement): Promise<StatementDocument> {
    const res = await this.call(`${this.pathOf(account)}/statements/${encodeURIComponent(statement.id)}/document`);
    if (!res) throw new Error(`the core banking system has no document for statement ${statement.id}`);
    return { contentType: res.headers.get('content-type') ?? 'application/pdf', content: new Uint8Array(await res.arrayBuffer()) };
  }
}
