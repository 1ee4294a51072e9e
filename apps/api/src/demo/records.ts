import { cents, createPrng } from './prng.js';
import { DAY_MS, dayStart, historyStart, isoDate } from '../dates.js';
import { SECURITIES, generateStatements, generateTransactions, signedAmount, sortTime, type DemoTransaction } from './generate.js';
import { INSTITUTION, ROUTING_NUMBER, SEED_CUSTOMERS, type SeedAccount, type SeedCustomer, type SeedPerson } from './seed-data.js';
import type { ImportRecord, PaymentNetworkRecord, TransactionRecord } from '../import/records.js';

const OPENING_BALANCE: Record<string, number> = {
  CHECKING: 3200,
  SAVINGS: 12000,
  MORTGAGE: 412_000,
  STUDENTLOAN: 38_500,
  CREDITCARD: 850,
  TAXABLE: 15_000,
  ROTH: 9_000,
};

function contactOf(customer: SeedCustomer, account: SeedAccount) {
  const people: Array<[SeedPerson, string]> = [[customer.person, account.joint ? 'PRIMARY_JOINT' : 'PRIMARY']];
  if (account.joint) people.push([account.joint, 'SECONDARY_JOINT']);
  return {
    holders: people.map(([p, relationship]) => ({
      type: 'CONSUMER',
      relationship,
      name: { first: p.first, ...(p.middle ? { middle: p.middle } : {}), last: p.last },
    })),
    emails: people.map(([p]) => p.email),
    addresses: [{ ...customer.person.address, country: 'US', type: 'HOME', primary: true }],
    telephones: people.map(([p], i) => ({ type: 'HOME', country: '+1', number: p.phone, network: 'CELLULAR', primary: i === 0 })),
  };
}

function detailsOf(account: SeedAccount, transactions: readonly DemoTransaction[], today: number): Record<string, unknown> {
  const opening = OPENING_BALANCE[account.accountType] ?? 1000;
  let posted = opening;
  let pending = 0;
  for (const t of transactions) {
    if (t.status === 'POSTED') posted += signedAmount(account.category, t);
    else pending += signedAmount(account.category, t);
  }
  const payments = transactions.filter((t) => t.transactionType === 'PAYMENT');
  const lastPayment = payments.at(-1);
  const lastPaymentFields = lastPayment ? { lastPaymentAmount: lastPayment.amount, lastPaymentDate: isoDate(sortTime(lastPayment)) } : {};
  const nextMonth = new Date(today);
  const nextPaymentDate = isoDate(Date.UTC(nextMonth.getUTCFullYear(), nextMonth.getUTCMonth() + 1, 3));
  switch (account.category) {
    case 'DEPOSIT_ACCOUNT':
      return { currentBalance: cents(posted), availableBalance: cents(posted + pending) };
    case 'LOAN_ACCOUNT': {
      const mortgage = account.accountType === 'MORTGAGE';
      const originated = historyStart(today) - 400 * DAY_MS;
      return {
        ...(mortgage ? { escrowBalance: 3400.61, loanTerm: 360 } : { loanTerm: 120, currentSchool: 'University of Illinois' }),
        principalBalance: cents(posted),
        originalPrincipal: mortgage ? 450_000 : 52_000,
        originatingDate: isoDate(originated),
        maturityDate: isoDate(originated + (mortgage ? 360 : 120) * 30.44 * DAY_MS),
        nextPaymentAmount: mortgage ? 2150 : 412.37,
        nextPaymentDate,
        ...lastPaymentFields,
        interestPaidYearToDate: mortgage ? 9_412.55 : 611.2,
        interestRate: mortgage ? 6.125 : 4.99,
        interestRateType: 'FIXED',
        loanProviderName: INSTITUTION.name,
      };
    }
    case 'LOC_ACCOUNT': {
      const creditLine = 12_000;
      const balance = cents(posted + pending);
      return {
        creditLine,
        availableCredit: cents(creditLine - balance),
        currentBalance: balance,
        principalBalance: cents(posted),
        minimumPaymentAmount: cents(Math.max(35, posted * 0.02)),
        nextPaymentAmount: cents(Math.max(35, posted * 0.02)),
        nextPaymentDate,
        ...lastPaymentFields,
        pastDueAmount: 0,
        lastStmtBalance: cents(posted),
        lastStmtDate: isoDate(Date.UTC(nextMonth.getUTCFullYear(), nextMonth.getUTCMonth(), 1)),
        purchasesApr: 22.99,
        advancesApr: 27.99,
      };
    }
    case 'INVESTMENT_ACCOUNT': {
      const rng = createPrng(account.accountNumber.length * 7919 + Number(account.accountNumber.slice(-4)));
      const holdings: Array<Record<string, unknown> & { marketValue: number }> = SECURITIES.map((s) => {
        const units = rng.int(10, 120);
        const currentUnitPrice = rng.money(s.price * 0.9, s.price * 1.1);
        return {
          securityIds: [{ id: s.cusip, idType: 'CUSIP' }],
          holdingName: s.name,
          holdingType: s.type,
          symbol: s.symbol,
          purchasedPrice: rng.money(s.price * 0.6, s.price * 0.95),
          currentUnitPrice,
          currentUnitPriceDate: isoDate(today),
          units,
          marketValue: cents(units * currentUnitPrice),
          cashAccount: false,
          currency: { currencyCode: 'USD' },
          fiAttributes: [{ name: 'isCashEquivalent', value: 'false' }],
        };
      });
      const cash = cents(Math.max(0, posted - holdings.reduce((sum, h) => sum + h.marketValue, 0) * 0.1));
      holdings.push({
        securityIds: [],
        holdingName: 'Cash sweep',
        holdingType: 'OTHER',
        symbol: 'CASH',
        purchasedPrice: 1,
        currentUnitPrice: 1,
        currentUnitPriceDate: isoDate(today),
        units: cash,
        marketValue: cash,
        cashAccount: true,
        currency: { currencyCode: 'USD' },
        fiAttributes: [{ name: 'isCashEquivalent', value: 'true' }],
      });
      const currentValue = cents(holdings.reduce((sum, h) => sum + h.marketValue, 0));
      return { availableCashBalance: cash, balanceAsOf: new Date(today).toISOString(), currentValue, holdings };
    }
  }
}

/**
 * ACH on every account (loans and cards take payments in only), FedNow credits on deposits.
 * Inactive accounts keep their networks but can move no money.
 */
function paymentNetworksOf(account: SeedAccount): PaymentNetworkRecord[] {
  const active = account.status === 'OPEN';
  const outgoing = (account.category === 'DEPOSIT_ACCOUNT' || account.category === 'INVESTMENT_ACCOUNT') && active;
  const base = { kind: 'payment_network', accountId: account.id, bankId: ROUTING_NUMBER, identifier: account.accountNumber } as const;
  const records: PaymentNetworkRecord[] = [{ ...base, paymentNetworkId: `${account.id}-ach`, type: 'US_ACH', transferIn: active, transferOut: outgoing }];
  if (account.category === 'DEPOSIT_ACCOUNT') records.push({ ...base, paymentNetworkId: `${account.id}-fednow`, type: 'US_FEDNOW', transferIn: active, transferOut: false });
  return records;
}

/**
 * The demo data set in the import format, in import order (each customer, then each of its
 * accounts followed by what hangs off it). Values are deterministic; dates are relative to
 * `now`'s day. `pnpm seed` imports exactly these records, through the same code as a bank's files.
 */
export function* demoRecords(now = Date.now()): Generator<ImportRecord> {
  const today = dayStart(now);
  for (const customer of SEED_CUSTOMERS) {
    const { first, middle, last } = customer.person;
    yield { kind: 'customer', customerId: customer.id, name: { first, ...(middle ? { middle } : {}), last } };
    for (const account of customer.accounts) {
      const transactions = generateTransactions(account, today);
      yield {
        kind: 'account',
        accountId: account.id,
        customerId: customer.id,
        accountCategory: account.category,
        accountType: account.accountType,
        status: account.status,
        accountNumber: account.accountNumber,
        productName: account.productName,
        ...(account.nickname ? { nickname: account.nickname } : {}),
        currency: { currencyCode: 'USD' },
        contact: contactOf(customer, account),
        ...detailsOf(account, transactions, today),
      } as ImportRecord;
      yield* transactions;
      yield* generateStatements(account, transactions, OPENING_BALANCE[account.accountType] ?? 1000, today);
      yield* paymentNetworksOf(account);
      if (account.category === 'INVESTMENT_ACCOUNT') {
        yield {
          kind: 'asset_transfer_network',
          accountId: account.id,
          assetTransferNetworkId: `${account.id}-acats`,
          identifier: account.accountNumber,
          identifierType: 'ACCOUNT_NUMBER',
          institutionName: INSTITUTION.name,
          institutionId: INSTITUTION.dtcNumber,
          type: 'US_ACATS',
          jointAccount: account.joint !== undefined,
        };
      }
    }
  }
}

/** The account that receives benchmark volume. */
export const VOLUME_ACCOUNT_ID = 'acc-10001-checking';

/**
 * `count` posted card purchases on the volume account, spread over its history window, with
 * ids from `startAt` on: the benchmark's volume (imported in-process, or written as NDJSON).
 */
export function* volumeTransactions(count: number, options: { startAt?: number; now?: number } = {}): Generator<TransactionRecord> {
  const today = dayStart(options.now ?? Date.now());
  const first = historyStart(today);
  const span = today - first;
  const startAt = options.startAt ?? 0;
  const rng = createPrng(0xbeef + startAt);
  for (let i = 0; i < count; i++) {
    const at = new Date(first + Math.floor(rng.next() * span)).toISOString();
    yield {
      kind: 'transaction',
      transactionId: `${VOLUME_ACCOUNT_ID}-v${String(startAt + i).padStart(8, '0')}`,
      accountId: VOLUME_ACCOUNT_ID,
      postedTimestamp: at,
      transactionTimestamp: at,
      description: 'DEBIT CARD PURCHASE BENCHMARK MERCHANT',
      debitCreditMemo: 'DEBIT',
      status: 'POSTED',
      amount: rng.money(1, 300),
    };
  }
}
