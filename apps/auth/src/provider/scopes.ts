/**
 * Every scope the OP knows, with the sentence the consent page shows. The FDX data scopes map
 * to the FDX v6.3 Core Exchange resources: accounts:read → Account (GET /accounts…),
 * customers:read → Customer (GET /customers/current), transactions:read → Transactions.
 */
export const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'Confirm who you are (your customer identifier)',
  profile: 'See your name',
  email: 'See your email address and whether it is verified',
  offline_access: 'Keep access while you are not using the app',
  'accounts:read': 'See your accounts and their balances',
  'customers:read': 'See your customer details',
  'transactions:read': 'See your transactions',
};

/** What each data scope reveals, in plain words, under its sentence on the consent page. */
export const SCOPE_DETAILS: Record<string, string> = {
  'accounts:read': 'Account names, the last digits of account numbers, account types, balances, account details and statements.',
  'customers:read': 'Your name, addresses, email addresses and phone numbers as the bank holds them.',
  'transactions:read': 'Dates, amounts, descriptions and payees of the transactions on the accounts you share.',
  offline_access: 'The app can refresh its access without asking you again until the connection ends or expires.',
};

/**
 * The FDX data clusters each scope covers (FDX ConsentGrant resources[].dataClusters); one table.
 * Statements are account data at the API (they need accounts:read).
 */
export const SCOPE_DATA_CLUSTERS: Record<string, readonly string[]> = {
  'accounts:read': ['ACCOUNT_BASIC', 'ACCOUNT_DETAILED', 'STATEMENTS'],
  'transactions:read': ['TRANSACTIONS'],
  'customers:read': ['CUSTOMER_CONTACT'],
};

/** The data clusters of a set of scopes, deduplicated, in a stable order. */
export function dataClustersOf(scopes: Iterable<string>): string[] {
  const granted = new Set(scopes);
  return [...new Set(Object.entries(SCOPE_DATA_CLUSTERS).flatMap(([scope, clusters]) => (granted.has(scope) ? clusters : [])))];
}

export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;
export const API_SCOPES = ['accounts:read', 'customers:read', 'transactions:read'] as const;
export const ALL_SCOPES: readonly string[] = [...OIDC_SCOPES, ...API_SCOPES];

export function describeScopes(scopes: Iterable<string>): { name: string; description: string; detail: string | undefined }[] {
  return [...new Set(scopes)]
    .filter((s) => s in SCOPE_DESCRIPTIONS)
    .map((name) => ({ name, description: SCOPE_DESCRIPTIONS[name] ?? name, detail: SCOPE_DETAILS[name] }));
}
