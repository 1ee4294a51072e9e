/** Every FDX endpoint the explorer offers, with the parameters each one takes. */
export interface Endpoint {
  id: string;
  label: string;
  needsAccount: boolean;
  needsStatement?: boolean;
  paging?: boolean;
  dateRange?: boolean;
  path: (p: { accountId: string; statementId: string }) => string;
}

const enc = encodeURIComponent;

export const ENDPOINTS: readonly Endpoint[] = [
  { id: 'customer', label: 'GET /customers/current', needsAccount: false, path: () => '/customers/current' },
  { id: 'accounts', label: 'GET /accounts', needsAccount: false, paging: true, path: () => '/accounts' },
  { id: 'account', label: 'GET /accounts/{accountId}', needsAccount: true, path: (p) => `/accounts/${enc(p.accountId)}` },
  { id: 'contact', label: 'GET /accounts/{accountId}/contact', needsAccount: true, path: (p) => `/accounts/${enc(p.accountId)}/contact` },
  {
    id: 'statements',
    label: 'GET /accounts/{accountId}/statements',
    needsAccount: true,
    paging: true,
    dateRange: true,
    path: (p) => `/accounts/${enc(p.accountId)}/statements`,
  },
  {
    id: 'statement',
    label: 'GET /accounts/{accountId}/statements/{statementId} (PDF)',
    needsAccount: true,
    needsStatement: true,
    path: (p) => `/accounts/${enc(p.accountId)}/statements/${enc(p.statementId)}`,
  },
  {
    id: 'transactions',
    label: 'GET /accounts/{accountId}/transactions',
    needsAccount: true,
    paging: true,
    dateRange: true,
    path: (p) => `/accounts/${enc(p.accountId)}/transactions`,
  },
  {
    id: 'payment-networks',
    label: 'GET /accounts/{accountId}/payment-networks',
    needsAccount: true,
    paging: true,
    path: (p) => `/accounts/${enc(p.accountId)}/payment-networks`,
  },
  {
    id: 'asset-transfer-networks',
    label: 'GET /accounts/{accountId}/asset-transfer-networks',
    needsAccount: true,
    paging: true,
    path: (p) => `/accounts/${enc(p.accountId)}/asset-transfer-networks`,
  },
];

export function endpointById(id: string): Endpoint | undefined {
  return ENDPOINTS.find((e) => e.id === id);
}

export interface AccountChoice {
  accountId: string;
  label: string;
}

/** FDX wraps each account in its type (`{ depositAccount: {...} }`); the picker needs id and a name. */
export function accountChoices(body: unknown): AccountChoice[] {
  const accounts = (body as { accounts?: unknown } | undefined)?.accounts;
  if (!Array.isArray(accounts)) return [];
  const choices: AccountChoice[] = [];
  for (const item of accounts) {
    if (!item || typeof item !== 'object') continue;
    const record = item as Record<string, unknown>;
    const inner: unknown = 'accountId' in record ? record : Object.values(record).find((v) => v && typeof v === 'object');
    const a = inner as Record<string, unknown> | undefined;
    if (!a || typeof a.accountId !== 'string') continue;
    const name = [a.nickname ?? a.productName ?? a.accountType, a.accountNumberDisplay].filter((v) => typeof v === 'string').join(' ');
    choices.push({ accountId: a.accountId, label: name ? `${name} (${a.accountId})` : a.accountId });
  }
  return choices;
}
