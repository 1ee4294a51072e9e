import type { CustomerRepository, OwnedAccount, StatementRow } from '../db/repository.js';
import { DAY_MS } from '../dates.js';
import { renderPdf, type PdfLine } from './pdf.js';

/** Statements list at most this many transactions; the rest is summarised. */
const MAX_LINES = 400;

const money = (n: number) => n.toLocaleString('en-US', { style: 'currency', currency: 'USD' });

/** A statement as a PDF headed with the institution's name (INSTITUTION_NAME). */
export async function renderStatementPdf(
  repo: CustomerRepository,
  account: OwnedAccount,
  row: StatementRow,
  institutionName: string,
): Promise<Buffer> {
  const from = Date.parse(`${row.period_start}T00:00:00Z`);
  const to = Date.parse(`${row.period_end}T00:00:00Z`) + DAY_MS - 1;
  const transactions = await repo.transactionsBetween(account, { from, to }, MAX_LINES + 1);
  const lines: PdfLine[] = [
    { text: institutionName, bold: true, size: 16 },
    { text: `${account.product_name} statement`, bold: true, size: 12 },
    { text: `Account ending in ${account.account_number.slice(-4)}` },
    { text: `Statement period ${row.period_start} to ${row.period_end} (issued ${row.statement_date})` },
    { text: '' },
    { text: `Opening balance: ${money(Number(row.opening_balance))}` },
    { text: `Closing balance: ${money(Number(row.closing_balance))}` },
    { text: '' },
    { text: 'Date        Type     Amount        Description', bold: true },
  ];
  for (const t of transactions.slice(0, MAX_LINES)) {
    const date = new Date(Number(t.posted_at)).toISOString().slice(0, 10);
    lines.push({ text: `${date}  ${t.debit_credit.padEnd(7)}  ${money(Number(t.amount)).padStart(12)}  ${t.description.slice(0, 60)}` });
  }
  if (transactions.length > MAX_LINES) lines.push({ text: 'Further transactions are available through the transactions API.' });
  if (transactions.length === 0) lines.push({ text: 'No transactions in this period.' });
  return renderPdf(`Statement ${row.id}`, lines);
}
