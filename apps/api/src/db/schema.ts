import type { BucketColumn } from '../performance/buckets.js';

/** Row types of the API's own database (Kysely). Times are epoch milliseconds, money is a number with 2 decimals. */
export interface CustomerTable {
  id: string;
  /** JSON: FDX CustomerName. */
  name: string;
}

export interface AccountTable {
  id: string;
  customer_id: string;
  /** DEPOSIT_ACCOUNT | LOAN_ACCOUNT | LOC_ACCOUNT | INVESTMENT_ACCOUNT */
  category: string;
  account_type: string;
  status: string;
  account_number: string;
  product_name: string;
  nickname: string | null;
  currency: string;
  /** JSON: the category's detail fields (balances, rates, holdings…). */
  details: string;
  /** JSON: FDX AccountContact. */
  contact: string;
}

export interface TransactionTable {
  id: string;
  account_id: string;
  /** Sort and filter key: the posted time, or for pending items the transaction time. */
  posted_at: number;
  transacted_at: number;
  status: string;
  debit_credit: string;
  amount: number;
  description: string;
  /** JSON: category-specific fields (payee, checkNumber, transactionType, fees, symbol…). */
  details: string;
}

export interface StatementTable {
  id: string;
  account_id: string;
  /** YYYY-MM-DD */
  statement_date: string;
  period_start: string;
  period_end: string;
  opening_balance: number;
  closing_balance: number;
}

export interface PaymentNetworkTable {
  id: string;
  account_id: string;
  bank_id: string;
  identifier: string;
  type: string;
  transfer_in: number;
  transfer_out: number;
}

export interface AssetTransferNetworkTable {
  id: string;
  account_id: string;
  identifier: string;
  identifier_type: string;
  institution_name: string;
  institution_id: string;
  type: string;
  joint_account: number;
}

/** A statement's own document (its PDF as the bank issued it); absent → the API renders one. */
export interface StatementDocumentTable {
  statement_id: string;
  content_type: string;
  /** Hex SHA-256 of `content`, so a re-import of the same file writes nothing. */
  sha256: string;
  size: number;
  content: Uint8Array;
}

/** Fixed-window request counters shared by every API instance on the database. */
export interface RateLimitTable {
  /** `client:<client_id>` or `ip:<address>` */
  key: string;
  /** Epoch milliseconds at which the window opened. */
  window_start: number;
  hits: number;
}

/** Latency bucket counts, one column per bucket (performance/buckets.ts). */
type LatencyBucketColumns = Record<BucketColumn, number>;

/** What one API instance counted of its FDX traffic in one minute (the performance disclosure). */
export interface PerformanceMinuteTable extends LatencyBucketColumns {
  /** INSTANCE_ID of the instance that counted. */
  instance_id: string;
  /** Epoch milliseconds at which the minute began (UTC). */
  minute: number;
  requests: number;
  /** Responses that were not 5xx and took no longer than DISCLOSURE_RESPONSE_THRESHOLD_MS. */
  proper: number;
}

/** A finished month's minutes of every instance, summed (`performance_minute` rows folded in). */
export interface PerformanceMonthTable extends LatencyBucketColumns {
  /** `YYYY-MM`, UTC. */
  month: string;
  requests: number;
  proper: number;
}

export interface ApiSchema {
  customer: CustomerTable;
  account: AccountTable;
  transaction: TransactionTable;
  statement: StatementTable;
  statement_document: StatementDocumentTable;
  payment_network: PaymentNetworkTable;
  asset_transfer_network: AssetTransferNetworkTable;
  rate_limit: RateLimitTable;
  performance_minute: PerformanceMinuteTable;
  performance_month: PerformanceMonthTable;
}
