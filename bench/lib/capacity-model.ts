// The capacity model: measured CPU time per operation of the serving process, turned into
// "connections served per vCPU" under a stated traffic model, and set beside Keycloak's
// published sizing. Pure arithmetic, so it is unit-tested; the measurements come from
// modules/capacity.ts.

/** Operations one connection costs; the MCP tool call is measured but not in the Plaid model. */
export const OPERATIONS = ['login', 'codeExchange', 'refresh', 'accounts', 'transactionsPage', 'statementPdf', 'mcpToolCall'] as const;
export type Operation = (typeof OPERATIONS)[number];

export const OPERATION_LABELS: Record<Operation, string> = {
  login: 'sign-in (argon2id password, consent, code)',
  codeExchange: 'authorization-code exchange',
  refresh: 'refresh grant',
  accounts: 'GET /accounts',
  transactionsPage: 'transactions page (50 items)',
  statementPdf: 'statement PDF',
  mcpToolCall: 'MCP tool call (list_accounts)',
};

/** CPU milliseconds of the serving process per operation (OP for the first three, API for the rest). */
export type OperationCosts = Partial<Record<Operation, number>>;

/** What one connection (one customer's link to one aggregator) costs per day: operations per day. */
export interface TrafficModel {
  name: string;
  description: string;
  perDay: Partial<Record<Operation, number>>;
}

/**
 * Plaid's pattern as we assume it: access tokens live 15 minutes, so every data pull starts with a
 * refresh grant; Plaid's Transactions product pulls new data up to four times a day (its
 * documented range is one to four); a pull reads the account list and two 50-item transaction
 * pages; a statement once a month; one sign-in with its code exchange a year (the annual
 * reauthorization of CFPB § 1033).
 */
export const PLAID_DAILY: TrafficModel = {
  name: 'Plaid-like: 4 pulls a day',
  description: 'per day: 4 × (refresh grant + GET /accounts + 2 transaction pages), 1/30 statement PDF, 1/365 sign-in + code exchange',
  perDay: { refresh: 4, accounts: 4, transactionsPage: 8, statementPdf: 1 / 30, login: 1 / 365, codeExchange: 1 / 365 },
};

/**
 * The upper bound: the aggregator keeps a token fresh round the clock, one refresh every 15
 * minutes, each followed by the account list and one transactions page.
 */
export const EVERY_15_MINUTES: TrafficModel = {
  name: 'worst case: a pull every 15 minutes, all day',
  description: 'per day: 96 × (refresh grant + GET /accounts + 1 transaction page), 1/30 statement PDF, 1/365 sign-in + code exchange',
  perDay: { refresh: 96, accounts: 96, transactionsPage: 96, statementPdf: 1 / 30, login: 1 / 365, codeExchange: 1 / 365 },
};

export const TRAFFIC_MODELS = [PLAID_DAILY, EVERY_15_MINUTES] as const;

/**
 * How a host is sized from the daily mean: pulls bunch up (overnight batches, mornings), so the
 * busiest hour is taken as `peakToMean` times the mean, and a vCPU is planned to `utilisation`.
 */
export interface Headroom {
  peakToMean: number;
  utilisation: number;
}

export const PLANNING_HEADROOM: Headroom = { peakToMean: 4, utilisation: 0.7 };

/** CPU seconds one connection costs per day; undefined when an operation of the model was not measured. */
export function cpuSecondsPerConnectionDay(costs: OperationCosts, model: TrafficModel): number | undefined {
  let ms = 0;
  for (const [operation, count] of Object.entries(model.perDay) as Array<[Operation, number]>) {
    const cost = costs[operation];
    if (cost === undefined || !Number.isFinite(cost)) return undefined;
    ms += cost * count;
  }
  return ms / 1000;
}

/** Connections one vCPU serves: a day of CPU seconds (less headroom) over one connection's daily cost. */
export function connectionsPerVcpu(costs: OperationCosts, model: TrafficModel, headroom: Headroom = { peakToMean: 1, utilisation: 1 }): number | undefined {
  const perConnection = cpuSecondsPerConnectionDay(costs, model);
  if (perConnection === undefined || perConnection <= 0) return undefined;
  return (86_400 * headroom.utilisation) / headroom.peakToMean / perConnection;
}

/** Operations per second one vCPU sustains at a CPU cost in ms. */
export const perVcpuSecond = (cpuMs: number | undefined): number | undefined => (cpuMs === undefined || !(cpuMs > 0) ? undefined : 1000 / cpuMs);

/**
 * Keycloak's published sizing per vCPU (keycloak.org, "Concepts for sizing CPU and memory
 * resources"): password logins, refresh grants and client-credentials grants per second.
 */
export const KEYCLOAK_PER_VCPU = { login: 15, refresh: 120, clientCredentials: 120 } as const;

/** Our aims, as multiples of Keycloak's refresh grants per vCPU, per store. */
export const REFRESH_AIM = { sqlite: 2, postgres: 1 } as const;

export interface KeycloakComparison {
  what: string;
  ours: number | undefined;
  keycloak: number;
  ratio: number | undefined;
}

/**
 * Our per-vCPU rates beside Keycloak's. A Keycloak password login is the browser flow that ends
 * with the code exchanged for tokens, so ours counts the sign-in and the exchange together.
 */
export function versusKeycloak(costs: OperationCosts): KeycloakComparison[] {
  const login = costs.login === undefined || costs.codeExchange === undefined ? undefined : costs.login + costs.codeExchange;
  const rows: Array<[string, number | undefined, number]> = [
    ['password logins/s (sign-in + code exchange)', perVcpuSecond(login), KEYCLOAK_PER_VCPU.login],
    ['refresh grants/s', perVcpuSecond(costs.refresh), KEYCLOAK_PER_VCPU.refresh],
  ];
  return rows.map(([what, ours, keycloak]) => ({ what, ours, keycloak, ratio: ours === undefined ? undefined : ours / keycloak }));
}

/** "met" or "missed" for a measured figure against an aim (at least, below, at most); "not measured" without one. */
export function verdict(value: number | undefined, aim: number, kind: 'at least' | 'below' | 'at most'): string {
  if (value === undefined || !Number.isFinite(value)) return 'not measured';
  const met = kind === 'at least' ? value >= aim : kind === 'below' ? value < aim : value <= aim;
  return met ? 'met' : 'missed';
}
