import type { Insertable, Kysely } from 'kysely';
import { cents, createPrng } from './prng.js';
import { DAY_MS, dayStart, historyStart, isoDate } from '../dates.js';
import { SECURITIES, generateStatements, generateTransactions, signedAmount, type TransactionInsert } from './generate.js';
import { INSTITUTION, ROUTING_NUMBER, SEED_CUSTOMERS, type SeedAccount, type SeedCustomer, type SeedPerson } from './seed-data.js';
import type { AccountTable, ApiSchema } from '../db/schema.js';

const OPENING_BALANCE: Record<string, number> = {
  CHECKING: 3200,
  SAVINGS: 12000,
  MORTGAGE: 412_000,
  STUDENTLOAN: 38_500,
  CREDITCARD: 850,
  TAXABLE: 15_000,
  ROTH: 9_000,
};

/** Rows per INSERT and per transaction when seeding volume. */
const BATCH = 1000;

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

function detailsOf(account: SeedAccount, transactions: readonly TransactionInsert[], today: number): Record<string, unknown> {
  const opening = OPENING_BALANCE[account.accountType] ?? 1000;
  let posted = opening;
  let pending = 0;
  for (const t of transactions) {
    if (t.status === 'POSTED') posted += signedAmount(account.category, t);
    else pending += signedAmount(account.category, t);
  }
  const payments = transactions.filter((t) => (t.details).includes('"PAYMENT"'));
  const lastPayment = payments.at(-1);
  const lastPaymentFields = lastPayment
    ? { lastPaymentAmount: Number(lastPayment.amount), lastPaymentDate: isoDate(Number(lastPayment.posted_at)) }
    : {};
  const nextMonth = new Date(today);
  const nextPaymentDate = isoDate(Date.UTC(nextMonth.getUTCFullYear(), nextMonth.getUTCMonth() + 1, 3));
  switch (account.category) {
    case 'DEPOSIT_ACCOUNT':
      return { currentBalance: cents(posted), availableBalance: cents(posted + pending) };
    case 'LOAN_ACCOUNT': {
      const mortgage = account.accountType === 'MORTGAGE';
      const originated = historyStart(today) - 400 * DAY_MS;
      return {
        ...(mortgage ? { accountNumber: account.accountNumber, escrowBalance: 3400.61, loanTerm: 360 } : { loanTerm: 120, currentSchool: 'University of Illinois' }),
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
function paymentNetworksOf(account: SeedAccount): Array<Insertable<ApiSchema['payment_network']>> {
  const active = account.status === 'OPEN' ? 1 : 0;
  const outgoing = account.category === 'DEPOSIT_ACCOUNT' || account.category === 'INVESTMENT_ACCOUNT' ? active : 0;
  const base = { account_id: account.id, bank_id: ROUTING_NUMBER, identifier: account.accountNumber };
  const rows = [{ ...base, id: `${account.id}-ach`, type: 'US_ACH', transfer_in: active, transfer_out: outgoing }];
  if (account.category === 'DEPOSIT_ACCOUNT') rows.push({ ...base, id: `${account.id}-fednow`, type: 'US_FEDNOW', transfer_in: active, transfer_out: 0 });
  return rows;
}

async function insertInBatches<T extends keyof ApiSchema>(db: Kysely<ApiSchema>, table: T, rows: Array<Insertable<ApiSchema[T]>>) {
  for (let i = 0; i < rows.length; i += BATCH) {
    // Kysely's generic insert typing cannot follow a table parameter; rows are typed by the caller.
    await db.insertInto(table).values(rows.slice(i, i + BATCH)).execute();
  }
}

/** Deletes every seeded row (children first). */
export async function clearData(db: Kysely<ApiSchema>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const table of ['transaction', 'statement', 'payment_network', 'asset_transfer_network', 'account', 'customer'] as const) {
      await trx.deleteFrom(table).execute();
    }
  });
}

export interface SeedSummary {
  customers: number;
  accounts: number;
  transactions: number;
  statements: number;
}

/**
 * Seeds the demo customers, all in one database transaction: either everything is
 * there or nothing is. Values are deterministic; dates are relative to `now`'s day.
 */
export async function seed(db: Kysely<ApiSchema>, now = Date.now()): Promise<SeedSummary> {
  const today = dayStart(now);
  const summary: SeedSummary = { customers: 0, accounts: 0, transactions: 0, statements: 0 };
  await db.transaction().execute(async (trx) => {
    for (const customer of SEED_CUSTOMERS) {
      const { first, middle, last } = customer.person;
      await trx.insertInto('customer').values({ id: customer.id, name: JSON.stringify({ first, middle, last }) }).execute();
      summary.customers++;
      for (const account of customer.accounts) {
        const transactions = generateTransactions(account, today);
        const row: Insertable<AccountTable> = {
          id: account.id,
          customer_id: customer.id,
          category: account.category,
          account_type: account.accountType,
          status: account.status,
          account_number: account.accountNumber,
          product_name: account.productName,
          nickname: account.nickname ?? null,
          currency: 'USD',
          details: JSON.stringify(detailsOf(account, transactions, today)),
          contact: JSON.stringify(contactOf(customer, account)),
        };
        await trx.insertInto('account').values(row).execute();
        await insertInBatches(trx, 'transaction', transactions);
        const statements = generateStatements(account, transactions, OPENING_BALANCE[account.accountType] ?? 1000, today);
        await insertInBatches(trx, 'statement', statements);
        await trx.insertInto('payment_network').values(paymentNetworksOf(account)).execute();
        if (account.category === 'INVESTMENT_ACCOUNT') {
          await trx
            .insertInto('asset_transfer_network')
            .values({
              id: `${account.id}-acats`,
              account_id: account.id,
              identifier: account.accountNumber,
              identifier_type: 'ACCOUNT_NUMBER',
              institution_name: INSTITUTION.name,
              institution_id: INSTITUTION.dtcNumber,
              type: 'US_ACATS',
              joint_account: account.joint ? 1 : 0,
            })
            .execute();
        }
        summary.accounts++;
        summary.transactions += transactions.length;
        summary.statements += statements.length;
      }
    }
  });
  return summary;
}

/** Seeds on first start only, so `pnpm dev` works on an empty database. */
export async function seedIfEmpty(db: Kysely<ApiSchema>, now = Date.now()): Promise<SeedSummary | undefined> {
  const any = await db.selectFrom('customer').select('id').limit(1).executeTakeFirst();
  return any ? undefined : seed(db, now);
}

/** The account that receives benchmark volume. */
export const VOLUME_ACCOUNT_ID = 'acc-10001-checking';

/**
 * Adds `count` posted card purchases spread over the history window of the volume account,
 * one database transaction per batch so memory stays flat and progress is durable.
 */
export async function seedVolume(
  db: Kysely<ApiSchema>,
  count: number,
  options: { now?: number; onProgress?: (done: number) => void } = {},
): Promise<number> {
  const today = dayStart(options.now ?? Date.now());
  const first = historyStart(today);
  const span = today - first;
  const prefix = `${VOLUME_ACCOUNT_ID}-v`;
  const existing = await db
    .selectFrom('transaction')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('id', '>=', prefix)
    .where('id', '<', `${VOLUME_ACCOUNT_ID}-w`)
    .executeTakeFirstOrThrow();
  const startAt = Number(existing.n);
  const rng = createPrng(0xbeef + startAt);
  for (let done = 0; done < count; ) {
    const size = Math.min(BATCH * 5, count - done);
    const rows: TransactionInsert[] = [];
    for (let i = 0; i < size; i++) {
      const at = first + Math.floor(rng.next() * span);
      rows.push({
        id: `${prefix}${String(startAt + done + i).padStart(8, '0')}`,
        account_id: VOLUME_ACCOUNT_ID,
        posted_at: at,
        transacted_at: at,
        status: 'POSTED',
        debit_credit: 'DEBIT',
        amount: rng.money(1, 300),
        description: 'DEBIT CARD PURCHASE BENCHMARK MERCHANT',
        details: '{}',
      });
    }
    await db.transaction().execute((trx) => insertInBatches(trx, 'transaction', rows));
    done += size;
    options.onProgress?.(done);
  }
  return count;
}
