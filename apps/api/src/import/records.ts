import { z } from 'zod';

/**
 * The import format: one FDX-shaped record per JSON value, told apart by `kind`. Field names
 * and enums are FDX v6.3's (the fields the API serves); a field the API would not serve is
 * refused rather than stored, so a typo surfaces at import, not in a client's response.
 * examples/bank-data/README.md documents every field.
 */

const id = z.string().trim().min(1).max(256);
const text = z.string().max(1024);
const money = z.number().finite();
const date = z.iso.date();
const timestamp = z.iso.datetime({ offset: true });
const currency = z.strictObject({ currencyCode: z.string().regex(/^[A-Z]{3}$/) });

export const ACCOUNT_STATUSES = ['CLOSED', 'DELINQUENT', 'NEGATIVECURRENTBALANCE', 'OPEN', 'PAID', 'PENDINGCLOSE', 'PENDINGOPEN', 'RESTRICTED'] as const;

const customerName = z.strictObject({
  first: text.min(1),
  middle: text.optional(),
  last: text.min(1),
  suffix: text.optional(),
  prefix: text.optional(),
});

export const customerRecord = z.strictObject({
  kind: z.literal('customer'),
  customerId: id,
  name: customerName,
});

const contact = z.strictObject({
  holders: z
    .array(
      z.strictObject({
        type: z.enum(['BUSINESS', 'CONSUMER']).optional(),
        relationship: z.string().max(64).optional(),
        name: customerName,
      }),
    )
    .optional(),
  emails: z.array(z.email()).optional(),
  addresses: z
    .array(
      z.strictObject({
        line1: text,
        line2: text.optional(),
        line3: text.optional(),
        city: text,
        region: text.optional(),
        postalCode: z.string().max(16).optional(),
        country: z.string().regex(/^[A-Z]{2}$/).optional(),
        type: z.string().max(32).optional(),
        primary: z.boolean().optional(),
      }),
    )
    .optional(),
  telephones: z
    .array(
      z.strictObject({
        type: z.string().max(32).optional(),
        country: z.string().max(8).optional(),
        number: z.string().max(32),
        network: z.string().max(32).optional(),
        primary: z.boolean().optional(),
      }),
    )
    .optional(),
});

const fiAttributes = z.array(z.strictObject({ name: text, value: text }));

const holding = z.strictObject({
  securityIds: z.array(z.strictObject({ id: text, idType: z.string().max(32) })).optional(),
  holdingName: text.optional(),
  holdingType: z.string().max(32).optional(),
  holdingSubType: z.string().max(32).optional(),
  symbol: z.string().max(32).optional(),
  purchasedPrice: money.optional(),
  currentUnitPrice: money.optional(),
  currentUnitPriceDate: date.optional(),
  units: money.optional(),
  marketValue: money.optional(),
  faceValue: money.optional(),
  cashAccount: z.boolean().optional(),
  currency: currency.optional(),
  fiAttributes: fiAttributes.optional(),
});

/** Fields every account record carries; the rest are the category's detail fields. */
const accountBase = {
  kind: z.literal('account'),
  accountId: id,
  customerId: id,
  status: z.enum(ACCOUNT_STATUSES),
  /** The full number: stored, served as its last four digits (accountNumberDisplay). */
  accountNumber: z.string().trim().min(4).max(64),
  productName: text.min(1),
  nickname: text.optional(),
  currency: currency.default({ currencyCode: 'USD' }),
  contact: contact.optional(),
};

/** The record keys that are columns of table `account`; every other key is a detail field. */
export const ACCOUNT_COLUMN_FIELDS = new Set(['kind', 'accountId', 'customerId', 'accountCategory', 'accountType', 'status', 'accountNumber', 'productName', 'nickname', 'currency', 'contact']);

const depositAccount = z.strictObject({
  ...accountBase,
  accountCategory: z.literal('DEPOSIT_ACCOUNT'),
  accountType: z.enum(['CHECKING', 'SAVINGS', 'CD', 'ESCROW', 'MONEYMARKET', 'HIGHINTERESTSAVINGSACCOUNT', 'FIRSTHOMESAVINGSACCOUNT', 'OTHERDEPOSIT']),
  currentBalance: money.optional(),
  availableBalance: money.optional(),
});

const loanAccount = z.strictObject({
  ...accountBase,
  accountCategory: z.literal('LOAN_ACCOUNT'),
  accountType: z.enum(['AUTOLOAN', 'HOMEEQUITYLOAN', 'INSTALLMENT', 'LOAN', 'MILITARYLOAN', 'MORTGAGE', 'PERSONALLOAN', 'SMBLOAN', 'STUDENTLOAN']),
  principalBalance: money.optional(),
  escrowBalance: money.optional(),
  originalPrincipal: money.optional(),
  originatingDate: date.optional(),
  loanTerm: z.number().int().nonnegative().optional(),
  nextPaymentAmount: money.optional(),
  nextPaymentDate: date.optional(),
  lastPaymentAmount: money.optional(),
  lastPaymentDate: date.optional(),
  maturityDate: date.optional(),
  interestPaidYearToDate: money.optional(),
  interestRate: money.optional(),
  interestRateType: z.enum(['FIXED', 'VARIABLE']).optional(),
  currentSchool: text.optional(),
  loanProviderName: text.optional(),
});

const lineOfCreditAccount = z.strictObject({
  ...accountBase,
  accountCategory: z.literal('LOC_ACCOUNT'),
  accountType: z.enum(['LINEOFCREDIT', 'CHARGE', 'CREDITCARD', 'HOMELINEOFCREDIT']),
  creditLine: money.optional(),
  availableCredit: money.optional(),
  nextPaymentAmount: money.optional(),
  nextPaymentDate: date.optional(),
  principalBalance: money.optional(),
  currentBalance: money.optional(),
  minimumPaymentAmount: money.optional(),
  lastPaymentAmount: money.optional(),
  lastPaymentDate: date.optional(),
  pastDueAmount: money.optional(),
  lastStmtBalance: money.optional(),
  lastStmtDate: date.optional(),
  purchasesApr: money.optional(),
  advancesApr: money.optional(),
});

const investmentAccount = z.strictObject({
  ...accountBase,
  accountCategory: z.literal('INVESTMENT_ACCOUNT'),
  accountType: z.string().regex(/^[0-9A-Z]{2,48}$/),
  availableCashBalance: money.optional(),
  balanceAsOf: timestamp.optional(),
  currentValue: money.optional(),
  holdings: z.array(holding).optional(),
});

export const accountRecord = z.discriminatedUnion('accountCategory', [depositAccount, loanAccount, lineOfCreditAccount, investmentAccount]);

/** The record keys that are columns of table `transaction`; every other key is a detail field. */
export const TRANSACTION_COLUMN_FIELDS = new Set(['kind', 'transactionId', 'accountId', 'postedTimestamp', 'transactionTimestamp', 'description', 'debitCreditMemo', 'status', 'amount']);

/** One schema for every category: each detail field belongs to one or more categories' FDX transaction. */
export const transactionRecord = z
  .strictObject({
    kind: z.literal('transaction'),
    transactionId: id,
    accountId: id,
    /** Required when POSTED; pending items sort by their transactionTimestamp. */
    postedTimestamp: timestamp.optional(),
    transactionTimestamp: timestamp,
    description: text,
    debitCreditMemo: z.enum(['CREDIT', 'DEBIT', 'MEMO']),
    status: z.enum(['AUTHORIZATION', 'MEMO', 'PENDING', 'POSTED']),
    amount: money,
    referenceTransactionId: id.optional(),
    cardNumberDisplay: z.string().max(32).optional(),
    category: z.string().max(64).optional(),
    subCategory: z.string().max(64).optional(),
    foreignAmount: money.optional(),
    foreignCurrency: z.string().regex(/^[A-Z]{3}$/).optional(),
    payee: text.optional(),
    checkNumber: z.number().int().nonnegative().optional(),
    transactionType: z.string().max(64).optional(),
    securityId: z.string().max(64).optional(),
    securityIdType: z.string().max(32).optional(),
    securityType: z.string().max(32).optional(),
    symbol: z.string().max(32).optional(),
    commission: money.optional(),
    fees: money.optional(),
    unitPrice: money.optional(),
    units: money.optional(),
    unitType: z.string().max(32).optional(),
    fiAttributes: fiAttributes.optional(),
  })
  .refine((t) => t.status !== 'POSTED' || t.postedTimestamp !== undefined, { message: 'a POSTED transaction needs postedTimestamp', path: ['postedTimestamp'] });

export const statementRecord = z
  .strictObject({
    kind: z.literal('statement'),
    statementId: id,
    accountId: id,
    statementDate: date,
    periodStart: date,
    periodEnd: date,
    openingBalance: money,
    closingBalance: money,
    /** The statement's PDF, relative to the file that holds the record; absent → the API renders one. */
    document: z.string().min(1).max(1024).optional(),
  })
  .refine((s) => s.periodStart <= s.periodEnd, { message: 'periodStart is after periodEnd', path: ['periodEnd'] });

export const paymentNetworkRecord = z.strictObject({
  kind: z.literal('payment_network'),
  accountId: id,
  /** Defaults to `<accountId>/<type>/<bankId>/<identifier>`: the same network imported again is the same row. */
  paymentNetworkId: id.optional(),
  bankId: z.string().min(1).max(64),
  identifier: z.string().min(1).max(64),
  type: z.enum(['CA_ACSS', 'CA_LVTS', 'US_ACH', 'US_CHIPS', 'US_FEDNOW', 'US_FEDWIRE', 'US_RTP']),
  transferIn: z.boolean(),
  transferOut: z.boolean(),
});

export const assetTransferNetworkRecord = z.strictObject({
  kind: z.literal('asset_transfer_network'),
  accountId: id,
  /** Defaults to `<accountId>/<type>/<identifier>`. */
  assetTransferNetworkId: id.optional(),
  identifier: z.string().min(1).max(64),
  identifierType: z.enum(['ACCOUNT_NUMBER']),
  institutionName: text.min(1),
  institutionId: z.string().min(1).max(64),
  type: z.enum(['CA_ATON', 'US_ACATS', 'US_DTC']),
  jointAccount: z.boolean(),
});

export const RECORD_SCHEMAS = {
  customer: customerRecord,
  account: accountRecord,
  transaction: transactionRecord,
  statement: statementRecord,
  payment_network: paymentNetworkRecord,
  asset_transfer_network: assetTransferNetworkRecord,
} as const;

export type RecordKind = keyof typeof RECORD_SCHEMAS;
export const RECORD_KINDS = Object.keys(RECORD_SCHEMAS) as RecordKind[];

export type CustomerRecord = z.input<typeof customerRecord>;
export type AccountRecord = z.input<typeof accountRecord>;
export type TransactionRecord = z.input<typeof transactionRecord>;
export type StatementRecord = z.input<typeof statementRecord>;
export type PaymentNetworkRecord = z.input<typeof paymentNetworkRecord>;
export type AssetTransferNetworkRecord = z.input<typeof assetTransferNetworkRecord>;
/** Any record of the import format, as written to a file. */
export type ImportRecord = CustomerRecord | AccountRecord | TransactionRecord | StatementRecord | PaymentNetworkRecord | AssetTransferNetworkRecord;

export type ParsedRecord =
  | z.output<typeof customerRecord>
  | z.output<typeof accountRecord>
  | z.output<typeof transactionRecord>
  | z.output<typeof statementRecord>
  | z.output<typeof paymentNetworkRecord>
  | z.output<typeof assetTransferNetworkRecord>;

/** Validates one JSON value; the reason is one line naming the first offending field. */
export function parseRecord(value: unknown): { ok: true; record: ParsedRecord } | { ok: false; reason: string } {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'not a JSON object' };
  const kind = (value as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !Object.hasOwn(RECORD_SCHEMAS, kind)) {
    return { ok: false, reason: `kind must be one of ${RECORD_KINDS.join(', ')} (got ${JSON.stringify(kind) ?? 'none'})` };
  }
  const result = RECORD_SCHEMAS[kind as RecordKind].safeParse(value);
  if (result.success) return { ok: true, record: result.data };
  const issue = result.error.issues[0]!;
  const path = issue.path.map(String).join('.');
  return { ok: false, reason: `${path ? `${path}: ` : ''}${issue.message}` };
}
