import { isoTimestamp } from './timestamp.js';
import type { AccountDescriptorRow, AccountRow, StatementRow, TransactionRow } from '../db/repository.js';

/** Row → FDX entity. JSON columns were written by our own seed, so they are trusted here. */
const json = (text: string) => JSON.parse(text) as Record<string, unknown>;

export function accountDescriptor(row: AccountDescriptorRow) {
  return {
    accountCategory: row.category,
    accountId: row.id,
    accountType: row.account_type,
    accountNumberDisplay: row.account_number.slice(-4),
    productName: row.product_name,
    ...(row.nickname ? { nickname: row.nickname } : {}),
    status: row.status,
    currency: { currencyCode: row.currency },
  };
}

export function accountWithDetails(row: AccountRow) {
  return { ...accountDescriptor(row), ...json(row.details) };
}

/** Built by assignment rather than spreads: a page maps 50 of these per request. */
export function transaction(row: TransactionRow, category: string): Record<string, unknown> {
  const item: Record<string, unknown> = { accountCategory: category, transactionId: row.id };
  // Plaid expects postedTimestamp only on posted items.
  if (row.status === 'POSTED') item.postedTimestamp = isoTimestamp(Number(row.posted_at));
  item.transactionTimestamp = isoTimestamp(Number(row.transacted_at));
  item.description = row.description;
  item.debitCreditMemo = row.debit_credit;
  item.status = row.status;
  item.amount = Number(row.amount);
  return Object.assign(item, json(row.details));
}

export function statement(row: StatementRow, href: string) {
  const month = new Date(`${row.period_start}T00:00:00Z`).toLocaleString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  return {
    accountId: row.account_id,
    statementId: row.id,
    statementDate: row.statement_date,
    description: `Statement for ${month}`,
    links: [{ href, action: 'GET', rel: 'self', types: ['application/pdf'] }],
    status: 'AVAILABLE',
  };
}
