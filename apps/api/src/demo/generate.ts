import { cents, createPrng, type Prng } from './prng.js';
import type { SeedAccount } from './seed-data.js';
import { DAY_MS, historyStart, isoDate } from '../dates.js';
import type { StatementRecord, TransactionRecord } from '../import/records.js';

/** A generated transaction in the import format (kind, ids, FDX fields). */
export type DemoTransaction = TransactionRecord & { transactionTimestamp: string; status: 'PENDING' | 'POSTED' };

/** The time a transaction sorts by: posted, or for pending items the transaction time. */
export const sortTime = (t: Pick<TransactionRecord, 'postedTimestamp' | 'transactionTimestamp'>) => Date.parse(t.postedTimestamp ?? t.transactionTimestamp);

interface Draft {
  at: number;
  debitCredit: 'DEBIT' | 'CREDIT';
  amount: number;
  description: string;
  /** The category's FDX fields (payee, checkNumber, transactionType, symbol…). */
  details: Partial<Pick<TransactionRecord, 'payee' | 'checkNumber' | 'category' | 'subCategory' | 'transactionType' | 'fees' | 'symbol' | 'securityId' | 'securityIdType' | 'securityType' | 'unitPrice' | 'units' | 'unitType'>>;
}

const MERCHANTS = [
  ['WHOLE FOODS MARKET #1023', '5411'],
  ['SHELL OIL 5744', '5541'],
  ['BLUE BOTTLE COFFEE', '5814'],
  ['AMAZON MKTPLACE', '5942'],
  ['CTA VENTRA', '4111'],
  ['TARGET 00012', '5310'],
  ['NETFLIX.COM', '4899'],
  ['WALGREENS #4411', '5912'],
  ['CHIPOTLE 2211', '5812'],
  ['UNITED AIRLINES', '3000'],
] as const;

const SECURITIES = [
  { symbol: 'VTI', cusip: '922908769', name: 'Vanguard Total Stock Market ETF', type: 'MUTUALFUND', price: 230 },
  { symbol: 'AAPL', cusip: '037833100', name: 'Apple Inc.', type: 'STOCK', price: 190 },
  { symbol: 'MSFT', cusip: '594918104', name: 'Microsoft Corp.', type: 'STOCK', price: 410 },
] as const;

function hashSeed(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

function dailyDrafts(account: SeedAccount, day: number, dayOfMonth: number, rng: Prng): Draft[] {
  const at = (hour: number) => day + hour * 3_600_000 + rng.int(0, 59) * 60_000;
  const out: Draft[] = [];
  switch (account.category) {
    case 'DEPOSIT_ACCOUNT': {
      if (account.accountType === 'CHECKING') {
        if (dayOfMonth === 1 || dayOfMonth === 15) {
          out.push({ at: at(6), debitCredit: 'CREDIT', amount: 2875.4, description: 'ACME CORP PAYROLL DIRECT DEP', details: { payee: 'ACME Corp' } });
        }
        if (dayOfMonth === 3) {
          out.push({ at: at(9), debitCredit: 'DEBIT', amount: 2150.0, description: 'MORTGAGE PAYMENT ONLINE TRANSFER', details: { payee: 'Open Finance Demo Bank' } });
        }
        if (dayOfMonth === 20 && rng.next() < 0.5) {
          out.push({ at: at(12), debitCredit: 'DEBIT', amount: rng.money(40, 400), description: 'CHECK PAID', details: { checkNumber: 1000 + rng.int(1, 8999) } });
        }
        for (let i = rng.int(0, 3); i > 0; i--) {
          const [name, mcc] = rng.pick(MERCHANTS);
          out.push({ at: at(rng.int(8, 21)), debitCredit: 'DEBIT', amount: rng.money(3, 180), description: `DEBIT CARD PURCHASE ${name}`, details: { payee: name, category: mcc, subCategory: 'MCC' } });
        }
      } else {
        if (dayOfMonth === 2) out.push({ at: at(10), debitCredit: 'CREDIT', amount: rng.money(200, 600), description: 'TRANSFER FROM CHECKING', details: {} });
        if (dayOfMonth === 28) out.push({ at: at(23), debitCredit: 'CREDIT', amount: rng.money(8, 30), description: 'INTEREST PAYMENT', details: {} });
      }
      break;
    }
    case 'LOAN_ACCOUNT': {
      if (dayOfMonth === 3) {
        out.push({ at: at(9), debitCredit: 'CREDIT', amount: account.accountType === 'MORTGAGE' ? 2150.0 : 412.37, description: 'MONTHLY PAYMENT - THANK YOU', details: { transactionType: 'PAYMENT' } });
        out.push({ at: at(23), debitCredit: 'DEBIT', amount: account.accountType === 'MORTGAGE' ? rng.money(1500, 1650) : rng.money(90, 120), description: 'INTEREST CHARGED', details: { transactionType: 'INTEREST' } });
      }
      break;
    }
    case 'LOC_ACCOUNT': {
      for (let i = rng.int(0, 2); i > 0; i--) {
        const [name, mcc] = rng.pick(MERCHANTS);
        out.push({ at: at(rng.int(8, 22)), debitCredit: 'DEBIT', amount: rng.money(5, 250), description: name, details: { transactionType: 'PURCHASE', category: mcc, subCategory: 'MCC' } });
      }
      if (dayOfMonth === 25) out.push({ at: at(7), debitCredit: 'CREDIT', amount: rng.money(600, 1500), description: 'PAYMENT RECEIVED - THANK YOU', details: { transactionType: 'PAYMENT' } });
      break;
    }
    case 'INVESTMENT_ACCOUNT': {
      if (dayOfMonth === 5) {
        out.push({ at: at(9), debitCredit: 'CREDIT', amount: 500, description: 'CONTRIBUTION', details: { transactionType: 'CONTRIBUTION', fees: 0 } });
        const sec = rng.pick(SECURITIES);
        const unitPrice = rng.money(sec.price * 0.8, sec.price * 1.2);
        const units = Math.round((450 / unitPrice) * 10_000) / 10_000;
        out.push({ at: at(14), debitCredit: 'DEBIT', amount: cents(units * unitPrice), description: `BOUGHT ${sec.symbol}`, details: { transactionType: 'PURCHASED', fees: 0, symbol: sec.symbol, securityId: sec.cusip, securityIdType: 'CUSIP', securityType: sec.type, unitPrice, units, unitType: 'SHARES' } });
      }
      if (dayOfMonth === 15 && rng.next() < 0.34) {
        out.push({ at: at(9), debitCredit: 'CREDIT', amount: rng.money(20, 90), description: 'DIVIDEND RECEIVED VTI', details: { transactionType: 'DIVIDEND', fees: 0, symbol: 'VTI', securityId: '922908769', securityIdType: 'CUSIP', securityType: 'MUTUALFUND' } });
      }
      break;
    }
  }
  return out;
}

/**
 * Deterministic transaction history for one account, as import records: the same account id
 * and seed day always produce the same records. The two most recent days of card and checking
 * activity stay pending (no postedTimestamp).
 */
export function generateTransactions(account: SeedAccount, today: number): DemoTransaction[] {
  const rng = createPrng(hashSeed(account.id));
  const first = historyStart(today);
  const last = account.closedMonthsAgo ? today - account.closedMonthsAgo * 30 * DAY_MS : today;
  const rows: DemoTransaction[] = [];
  let seq = 0;
  for (let day = first; day <= last; day += DAY_MS) {
    const dom = new Date(day).getUTCDate();
    for (const draft of dailyDrafts(account, day, dom, rng)) {
      const pending = day >= today - DAY_MS && (account.category === 'LOC_ACCOUNT' || account.accountType === 'CHECKING') && draft.debitCredit === 'DEBIT';
      const postedAt = pending ? draft.at : Math.min(draft.at + 2 * 3_600_000, day + DAY_MS - 1);
      seq += 1;
      rows.push({
        kind: 'transaction',
        transactionId: `${account.id}-t${String(seq).padStart(6, '0')}`,
        accountId: account.id,
        ...(pending ? {} : { postedTimestamp: new Date(postedAt).toISOString() }),
        transactionTimestamp: new Date(draft.at).toISOString(),
        description: draft.description,
        debitCreditMemo: draft.debitCredit,
        status: pending ? 'PENDING' : 'POSTED',
        amount: cents(draft.amount),
        ...draft.details,
      });
    }
  }
  return rows;
}

/** Whether a credit raises the balance (deposits, investments) or lowers it (loans, cards: the balance owed). */
export const creditRaisesBalance = (category: string) => category === 'DEPOSIT_ACCOUNT' || category === 'INVESTMENT_ACCOUNT';

export function signedAmount(category: string, t: Pick<TransactionRecord, 'debitCreditMemo' | 'amount'>): number {
  const sign = (t.debitCreditMemo === 'CREDIT') === creditRaisesBalance(category) ? 1 : -1;
  return sign * t.amount;
}

/** One statement per full calendar month in the account's history, with opening and closing balances. */
export function generateStatements(
  account: SeedAccount,
  transactions: readonly DemoTransaction[],
  openingBalance: number,
  today: number,
): StatementRecord[] {
  const out: StatementRecord[] = [];
  const start = new Date(historyStart(today));
  let balance = openingBalance;
  let index = 0;
  const sorted = transactions.map((t) => ({ t, at: sortTime(t) })).sort((a, b) => a.at - b.at);
  const end = account.closedMonthsAgo ? today - account.closedMonthsAgo * 30 * DAY_MS : today;
  for (let m = 1; ; m++) {
    const periodStart = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + m, 1);
    const next = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + m + 1, 1);
    if (next > end) break;
    while (index < sorted.length && sorted[index]!.at < periodStart) {
      balance += signedAmount(account.category, sorted[index]!.t);
      index++;
    }
    const opening = cents(balance);
    while (index < sorted.length && sorted[index]!.at < next) {
      balance += signedAmount(account.category, sorted[index]!.t);
      index++;
    }
    const month = isoDate(periodStart).slice(0, 7);
    out.push({
      kind: 'statement',
      statementId: `${account.id}-s${month}`,
      accountId: account.id,
      statementDate: isoDate(next),
      periodStart: isoDate(periodStart),
      periodEnd: isoDate(next - DAY_MS),
      openingBalance: opening,
      closingBalance: cents(balance),
    });
  }
  return out;
}

export { SECURITIES };
