import { createHash } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { Scope } from '../auth/bearer.js';
import { DAY_MS, dayStart, historyStart, HISTORY_MONTHS, isoDate } from '../dates.js';
import type { Transaction } from '../data-source.js';
import { FdxError } from '../errors.js';
import { findAccount, guarded, READ_ONLY, requireScope, structured, ToolError, type McpContext } from './context.js';

/** Days searched when no dates are given. */
export const DEFAULT_SEARCH_DAYS = 30;
/** Results per call: small enough for a model's context. */
export const DEFAULT_RESULTS = 20;
export const MAX_RESULTS = 50;
/** At most this many transactions are read per search; beyond, the totals say they are partial. */
export const MAX_SCANNED = 5000;
const SOURCE_PAGE = 500;

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');

const inputSchema = {
  accountId: z.string().min(1).max(256).describe('An accountId from list_accounts'),
  fromDate: isoDay.optional().describe(`First day (YYYY-MM-DD, UTC), inclusive; default ${DEFAULT_SEARCH_DAYS} days before toDate`),
  toDate: isoDay.optional().describe('Last day (YYYY-MM-DD, UTC), inclusive; default today'),
  text: z.string().trim().min(1).max(100).optional().describe('Case-insensitive text in the description, payee or category'),
  category: z.string().trim().min(1).max(50).optional().describe('Exact category code or transaction type (e.g. 5411, PAYMENT, DIVIDEND)'),
  minAmount: z.number().nonnegative().optional().describe('Smallest amount (absolute value, account currency)'),
  maxAmount: z.number().nonnegative().optional().describe('Largest amount (absolute value, account currency)'),
  limit: z.number().int().min(1).max(MAX_RESULTS).optional().describe(`Results per page, default ${DEFAULT_RESULTS}`),
  cursor: z.string().max(1024).optional().describe('nextCursor from the previous call with the same filters'),
};
type Input = { [K in keyof typeof inputSchema]: z.output<(typeof inputSchema)[K]> };

const transactionOut = z.object({
  transactionId: z.string(),
  date: z.string(),
  description: z.string(),
  amount: z.number(),
  debitCreditMemo: z.string(),
  status: z.string(),
  payee: z.string().optional(),
  category: z.string().optional(),
  transactionType: z.string().optional(),
});

const outputSchema = {
  accountId: z.string(),
  currency: z.string(),
  fromDate: z.string(),
  toDate: z.string(),
  transactions: z.array(transactionOut),
  totals: z.object({
    count: z.number().int(),
    debits: z.number(),
    credits: z.number(),
    /** True when more than MAX_SCANNED transactions fell in the range: narrow it. */
    partial: z.boolean(),
  }),
  nextCursor: z.string().optional(),
};

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
const cents = (n: number) => Math.round(n * 100) / 100;

function parseDay(value: string, name: string): number {
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (Number.isNaN(ms) || isoDate(ms) !== value) throw new ToolError(`${name} "${value}" is not a valid date (YYYY-MM-DD).`);
  return ms;
}

/** The inclusive time range of the search, checked like the FDX range (within the history window). */
function rangeOf(input: Input, now: number): { from: number; to: number } {
  const today = dayStart(now);
  const toDay = input.toDate === undefined ? today : parseDay(input.toDate, 'toDate');
  const fromDay = input.fromDate === undefined ? toDay - (DEFAULT_SEARCH_DAYS - 1) * DAY_MS : parseDay(input.fromDate, 'fromDate');
  if (fromDay > toDay) throw new ToolError('fromDate is after toDate.');
  if (fromDay < historyStart(today)) throw new ToolError(`fromDate is older than the ${HISTORY_MONTHS} months of history this bank provides.`);
  return { from: fromDay, to: toDay + DAY_MS - 1 };
}

function matcher(input: Input): (t: Transaction) => boolean {
  const needle = input.text?.toLowerCase();
  const category = input.category?.toLowerCase();
  return (t) => {
    const amount = Math.abs(t.amount);
    if (input.minAmount !== undefined && amount < input.minAmount) return false;
    if (input.maxAmount !== undefined && amount > input.maxAmount) return false;
    if (category !== undefined) {
      const codes = [text(t.details.category), text(t.details.transactionType)].filter((c) => c !== undefined).map((c) => c.toLowerCase());
      if (!codes.includes(category)) return false;
    }
    if (needle !== undefined) {
      const haystack = [t.description, text(t.details.payee), text(t.details.category), text(t.details.transactionType)].join('\n').toLowerCase();
      if (!haystack.includes(needle)) return false;
    }
    return true;
  };
}

function item(t: Transaction): z.output<typeof transactionOut> {
  const payee = text(t.details.payee);
  const category = text(t.details.category);
  const transactionType = text(t.details.transactionType);
  return {
    transactionId: t.id,
    date: isoDate(t.status === 'POSTED' ? t.postedAt : t.transactedAt),
    description: t.description,
    amount: t.amount,
    debitCreditMemo: t.debitCreditMemo,
    status: t.status,
    ...(payee === undefined ? {} : { payee }),
    ...(category === undefined ? {} : { category }),
    ...(transactionType === undefined ? {} : { transactionType }),
  };
}

/** The cursor is valid only for the same account, range and filters (its resource names their hash). */
function cursorResource(input: Input, range: { from: number; to: number }): string {
  const filters = JSON.stringify([input.text ?? null, input.category ?? null, input.minAmount ?? null, input.maxAmount ?? null, range.from, range.to]);
  return `mcp-transactions:${createHash('sha256').update(filters).digest('base64url').slice(0, 16)}`;
}

/** search_transactions: one account's transactions, filtered, newest first, with totals over every match. */
export function registerTransactionTools(server: McpServer, ctx: McpContext): void {
  server.registerTool(
    'search_transactions',
    {
      title: 'Search transactions',
      description:
        "Search one shared account's transactions, newest first, by date range, text, category and amount. " +
        'Returns a page of matches plus totals (count, sum of debits, sum of credits) over all matches; ' +
        'pass nextCursor back with the same filters for the next page.',
      inputSchema,
      outputSchema,
      annotations: READ_ONLY,
    },
    guarded(ctx, 'search_transactions', async (input: Input) => {
      requireScope(ctx, Scope.transactions);
      const account = await findAccount(ctx, input.accountId, { active: true });
      const range = rangeOf(input, ctx.now());
      const resource = cursorResource(input, range);
      let offset = 0;
      if (input.cursor !== undefined) {
        try {
          const [position] = ctx.cursors.decode(input.cursor, resource, account.id).k;
          if (typeof position !== 'number' || !Number.isInteger(position) || position < 0) throw new ToolError('');
          offset = position;
        } catch (err) {
          if (err instanceof FdxError || err instanceof ToolError) {
            throw new ToolError('The cursor is invalid: pass nextCursor from the previous call unchanged, with the same account and filters.');
          }
          throw err;
        }
      }
      const limit = input.limit ?? DEFAULT_RESULTS;
      const matches = matcher(input);
      const matched: Transaction[] = [];
      let scanned = 0;
      let debits = 0;
      let credits = 0;
      let after: string | undefined;
      let partial = false;
      do {
        const page = await ctx.data.transactions(account, range, { after, limit: Math.min(SOURCE_PAGE, MAX_SCANNED - scanned) });
        scanned += page.items.length;
        for (const t of page.items) {
          if (!matches(t)) continue;
          matched.push(t);
          if (t.debitCreditMemo === 'CREDIT') credits += Math.abs(t.amount);
          else debits += Math.abs(t.amount);
        }
        after = page.next;
        if (after !== undefined && scanned >= MAX_SCANNED) partial = true;
      } while (after !== undefined && !partial);
      const pageItems = matched.slice(offset, offset + limit);
      const next = offset + limit < matched.length ? ctx.cursors.encode({ r: resource, a: account.id, k: [offset + limit] }) : undefined;
      return structured({
        accountId: account.id,
        currency: account.currency,
        fromDate: isoDate(range.from),
        toDate: isoDate(range.to),
        transactions: pageItems.map(item),
        totals: { count: matched.length, debits: cents(debits), credits: cents(credits), partial },
        ...(next === undefined ? {} : { nextCursor: next }),
      });
    }),
  );
}
