import type { Account, AccountDescriptor, AssetTransferNetwork, PaymentNetwork, Statement, Transaction } from '../data-source.js';
import { isoTimestamp } from './timestamp.js';

/** The data port's plain values → FDX entities. */
export function accountDescriptor(account: AccountDescriptor) {
  return {
    accountCategory: account.category,
    accountId: account.id,
    accountType: account.accountType,
    accountNumberDisplay: account.accountNumber.slice(-4),
    productName: account.productName,
    ...(account.nickname ? { nickname: account.nickname } : {}),
    status: account.status,
    currency: { currencyCode: account.currency },
  };
}

export function accountWithDetails(account: Account) {
  return { ...accountDescriptor(account), ...account.details };
}

/** Built by assignment rather than spreads: a page maps 50 of these per request. */
export function transaction(t: Transaction, category: string): Record<string, unknown> {
  const item: Record<string, unknown> = { accountCategory: category, transactionId: t.id };
  // Plaid expects postedTimestamp only on posted items.
  if (t.status === 'POSTED') item.postedTimestamp = isoTimestamp(t.postedAt);
  item.transactionTimestamp = isoTimestamp(t.transactedAt);
  item.description = t.description;
  item.debitCreditMemo = t.debitCreditMemo;
  item.status = t.status;
  item.amount = t.amount;
  return Object.assign(item, t.details);
}

export function statement(accountId: string, s: Statement, href: string) {
  const month = new Date(`${s.periodStart}T00:00:00Z`).toLocaleString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  return {
    accountId,
    statementId: s.id,
    statementDate: s.statementDate,
    description: `Statement for ${month}`,
    links: [{ href, action: 'GET', rel: 'self', types: ['application/pdf'] }],
    status: 'AVAILABLE',
  };
}

export const paymentNetwork = (n: PaymentNetwork) => ({
  bankId: n.bankId,
  identifier: n.identifier,
  type: n.type,
  transferIn: n.transferIn,
  transferOut: n.transferOut,
});

export const assetTransferNetwork = (n: AssetTransferNetwork) => ({
  identifier: n.identifier,
  identifierType: n.identifierType,
  institutionName: n.institutionName,
  institutionId: n.institutionId,
  type: n.type,
  jointAccount: n.jointAccount,
});
