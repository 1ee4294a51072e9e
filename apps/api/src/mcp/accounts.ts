import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { Scope } from '../auth/bearer.js';
import type { Account, AccountDescriptor } from '../data-source.js';
import { accountWithDetails } from '../fdx/serialize.js';
import { findAccount, guarded, READ_ONLY, requireScope, structured, type McpContext } from './context.js';

/** At most this many accounts in one list (a customer's accounts fit; the rest is said to be left off). */
const MAX_ACCOUNTS = 100;

const balanceKeys = (key: string) => key.endsWith('Balance') || key === 'currentValue' || key === 'balanceAsOf';

/** The balance fields of an account's FDX details (currentBalance, availableBalance, principalBalance, currentValue…). */
export function balancesOf(account: Account): Record<string, number | string> {
  const balances: Record<string, number | string> = {};
  for (const [key, value] of Object.entries(account.details)) {
    if (balanceKeys(key) && (typeof value === 'number' || typeof value === 'string')) balances[key] = value;
  }
  return balances;
}

function summary(account: AccountDescriptor) {
  return {
    accountId: account.id,
    name: account.nickname ?? account.productName,
    productName: account.productName,
    category: account.category,
    accountType: account.accountType,
    status: account.status,
    accountNumberLast4: account.accountNumber.slice(-4),
    currency: account.currency,
  };
}

const accountSummary = z.object({
  accountId: z.string(),
  name: z.string(),
  productName: z.string(),
  category: z.string(),
  accountType: z.string(),
  status: z.string(),
  accountNumberLast4: z.string(),
  currency: z.string(),
  balances: z.record(z.string(), z.union([z.number(), z.string()])),
});

/** list_accounts and get_account: the accounts the customer shared with this assistant. */
export function registerAccountTools(server: McpServer, ctx: McpContext): void {
  server.registerTool(
    'list_accounts',
    {
      title: 'List accounts',
      description:
        'The bank accounts the customer shared with this assistant, with their current balances. ' +
        'Amounts are in the account currency; for loans and cards a balance is the amount owed.',
      inputSchema: {},
      outputSchema: { accounts: z.array(accountSummary), truncated: z.boolean() },
      annotations: READ_ONLY,
    },
    guarded(ctx, 'list_accounts', async () => {
      requireScope(ctx, Scope.account);
      const accounts: Array<z.output<typeof accountSummary>> = [];
      let after: string | undefined;
      let truncated = false;
      do {
        const page = await ctx.data.accounts({ after, limit: MAX_ACCOUNTS - accounts.length });
        for (const descriptor of page.items) {
          const account = await ctx.data.account(descriptor.id);
          if (account) accounts.push({ ...summary(account), balances: balancesOf(account) });
        }
        after = page.next;
        if (after !== undefined && accounts.length >= MAX_ACCOUNTS) truncated = true;
      } while (after !== undefined && !truncated);
      return structured({ accounts, truncated });
    }),
  );

  server.registerTool(
    'get_account',
    {
      title: 'Account details',
      description: "One shared account's full details as the bank reports them (FDX v6 fields: balances, rates, terms, holdings…).",
      inputSchema: { accountId: z.string().min(1).max(256).describe('An accountId from list_accounts') },
      outputSchema: { account: z.record(z.string(), z.unknown()) },
      annotations: READ_ONLY,
    },
    guarded(ctx, 'get_account', async ({ accountId }: { accountId: string }) => {
      requireScope(ctx, Scope.account);
      const account = await findAccount(ctx, accountId, { active: false });
      return structured({ account: accountWithDetails(account) });
    }),
  );
}
