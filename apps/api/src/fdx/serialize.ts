import type { AccountDescriptorRow, AccountRow, StatementRow, TransactionRow } from '../data/repository.js';

/** Row → FDX entity. JSON columns were written by our own seed, so they are trusted here. */
const json = (text: string) => JSON.parse(text) as Record<string, unknown>;
const iso = (ms: number) => new Date(Number(ms)).toISOString();

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

export function transaction(row: TransactionRow, category: string) {
  const posted = row.status === 'POSTED';
  return {
    accountCategory: category,
    transactionId: row.id,
    // Plaid expects postedTimestamp only on posted items.
    ...(posted ? { postedTimestamp: iso(row.posted_at) } : {}),
    transactionTimestamp: iso(row.transacted_at),
    description: row.description,
    debitCreditMemo: row.debit_credit,
    status: row.status,
    amount: Number(row.amount),
    ...json(row.details),
  };
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
