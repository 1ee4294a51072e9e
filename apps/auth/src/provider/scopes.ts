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

export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;
export const API_SCOPES = ['accounts:read', 'customers:read', 'transactions:read'] as const;
export const ALL_SCOPES: readonly string[] = [...OIDC_SCOPES, ...API_SCOPES];

export function describeScopes(scopes: Iterable<string>): { name: string; description: string }[] {
  return [...new Set(scopes)]
    .filter((s) => s in SCOPE_DESCRIPTIONS)
    .map((name) => ({ name, description: SCOPE_DESCRIPTIONS[name] ?? name }));
}
