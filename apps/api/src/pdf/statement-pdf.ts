import type { AccountDescriptor, Statement, Transaction } from '../data-source.js';
import { DAY_MS } from '../dates.js';
import { renderPdf, type PdfLine } from './pdf.js';

/** Statements list at most this many transactions; the rest is summarised. Pass up to one more, to say so. */
export const STATEMENT_PDF_MAX_LINES = 400;

const money = (n: number) => n.toLocaleString('en-US', { style: 'currency', currency: 'USD' });

/** The statement period as inclusive epoch-ms bounds on `postedAt`. */
export function statementPeriod(statement: Statement): { from: number; to: number } {
  return { from: Date.parse(`${statement.periodStart}T00:00:00Z`), to: Date.parse(`${statement.periodEnd}T00:00:00Z`) + DAY_MS - 1 };
}

export interface StatementPdfInput {
  /** Heads the document (INSTITUTION_NAME). */
  institutionName: string;
  account: AccountDescriptor;
  statement: Statement;
  /** The period's transactions, oldest first, at most STATEMENT_PDF_MAX_LINES + 1. */
  transactions: readonly Transaction[];
}

/** A statement as a PDF, for sources that keep no document of their own. */
export function renderStatementPdf({ institutionName, account, statement, transactions }: StatementPdfInput): Buffer {
  const lines: PdfLine[] = [
    { text: institutionName, bold: true, size: 16 },
    { text: `${account.productName} statement`, bold: true, size: 12 },
    { text: `Account ending in ${account.accountNumber.slice(-4)}` },
    { text: `Statement period ${statement.periodStart} to ${statement.periodEnd} (issued ${statement.statementDate})` },
    { text: '' },
    { text: `Opening balance: ${money(statement.openingBalance)}` },
    { text: `Closing balance: ${money(statement.closingBalance)}` },
    { text: '' },
    { text: 'Date        Type     Amount        Description', bold: true },
  ];
  for (const t of transactions.slice(0, STATEMENT_PDF_MAX_LINES)) {
    const date = new Date(t.postedAt).toISOString().slice(0, 10);
    lines.push({ text: `${date}  ${t.debitCreditMemo.padEnd(7)}  ${money(t.amount).padStart(12)}  ${t.description.slice(0, 60)}` });
  }
  if (transactions.length > STATEMENT_PDF_MAX_LINES) lines.push({ text: 'Further transactions are available through the transactions API.' });
  if (transactions.length === 0) lines.push({ text: 'No transactions in this period.' });
  return renderPdf(`Statement ${statement.id}`, lines);
}
