import type { Insertable } from 'kysely';
import type { ApiSchema } from '../db/schema.js';
import { ACCOUNT_COLUMN_FIELDS, TRANSACTION_COLUMN_FIELDS, type ParsedRecord } from './records.js';

/** The tables the importer writes, parents first: the order rows of one batch are written in. */
export const IMPORT_TABLES = ['customer', 'account', 'transaction', 'statement', 'statement_document', 'payment_network', 'asset_transfer_network'] as const;
export type ImportTable = (typeof IMPORT_TABLES)[number];
export type ImportRow<T extends ImportTable = ImportTable> = Insertable<ApiSchema[T]>;

/** The primary-key column of each table (the upsert's conflict target). */
export const KEY_COLUMN: { [T in ImportTable]: keyof ApiSchema[T] & string } = {
  customer: 'id',
  account: 'id',
  transaction: 'id',
  statement: 'id',
  statement_document: 'statement_id',
  payment_network: 'id',
  asset_transfer_network: 'id',
};

/**
 * The record's fields that are not columns, in the record's own order, as the JSON detail column:
 * the API serves them as they are. `input` is the value as read (key order), `parsed` the validated one.
 */
function detailsOf(input: Record<string, unknown>, parsed: Record<string, unknown>, columns: ReadonlySet<string>, extra: Record<string, unknown> = {}): string {
  const details: Record<string, unknown> = { ...extra };
  for (const key of Object.keys(input)) if (!columns.has(key) && parsed[key] !== undefined) details[key] = parsed[key];
  return JSON.stringify(details);
}

/** One validated record → its row (statement documents are added by the importer, which reads the file). */
export function rowOf(input: Record<string, unknown>, record: ParsedRecord): { table: ImportTable; row: ImportRow } {
  switch (record.kind) {
    case 'customer':
      return { table: 'customer', row: { id: record.customerId, name: JSON.stringify(record.name) } };
    case 'account':
      return {
        table: 'account',
        row: {
          id: record.accountId,
          customer_id: record.customerId,
          category: record.accountCategory,
          account_type: record.accountType,
          status: record.status,
          account_number: record.accountNumber,
          product_name: record.productName,
          nickname: record.nickname ?? null,
          currency: record.currency.currencyCode,
          // FDX LoanAccount carries the full account number (Plaid matches liabilities by it); other categories show the last four digits only.
          details: detailsOf(input, record, ACCOUNT_COLUMN_FIELDS, record.accountCategory === 'LOAN_ACCOUNT' ? { accountNumber: record.accountNumber } : {}),
          contact: JSON.stringify(record.contact ?? {}),
        },
      };
    case 'transaction': {
      const transacted = Date.parse(record.transactionTimestamp);
      return {
        table: 'transaction',
        row: {
          id: record.transactionId,
          account_id: record.accountId,
          posted_at: record.postedTimestamp === undefined ? transacted : Date.parse(record.postedTimestamp),
          transacted_at: transacted,
          status: record.status,
          debit_credit: record.debitCreditMemo,
          amount: record.amount,
          description: record.description,
          details: detailsOf(input, record, TRANSACTION_COLUMN_FIELDS),
        },
      };
    }
    case 'statement':
      return {
        table: 'statement',
        row: {
          id: record.statementId,
          account_id: record.accountId,
          statement_date: record.statementDate,
          period_start: record.periodStart,
          period_end: record.periodEnd,
          opening_balance: record.openingBalance,
          closing_balance: record.closingBalance,
        },
      };
    case 'payment_network':
      return {
        table: 'payment_network',
        row: {
          id: record.paymentNetworkId ?? `${record.accountId}/${record.type}/${record.bankId}/${record.identifier}`,
          account_id: record.accountId,
          bank_id: record.bankId,
          identifier: record.identifier,
          type: record.type,
          transfer_in: record.transferIn ? 1 : 0,
          transfer_out: record.transferOut ? 1 : 0,
        },
      };
    case 'asset_transfer_network':
      return {
        table: 'asset_transfer_network',
        row: {
          id: record.assetTransferNetworkId ?? `${record.accountId}/${record.type}/${record.identifier}`,
          account_id: record.accountId,
          identifier: record.identifier,
          identifier_type: record.identifierType,
          institution_name: record.institutionName,
          institution_id: record.institutionId,
          type: record.type,
          joint_account: record.jointAccount ? 1 : 0,
        },
      };
  }
}
