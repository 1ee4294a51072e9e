import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One account as the API's internal accounts route lists it (contract §4). */
export interface CatalogAccount {
  accountId: string;
  nickname?: string;
  accountNumberDisplay?: string;
  accountCategory: string;
  accountType?: string;
  status?: string;
}

/** Every customer's accounts unless a test sets their own: two open, one closed. */
export const DEFAULT_ACCOUNTS: CatalogAccount[] = [
  { accountId: 'acc-checking', nickname: 'Everyday Checking', accountNumberDisplay: '...1234', accountCategory: 'DEPOSIT_ACCOUNT', accountType: 'CHECKING', status: 'OPEN' },
  { accountId: 'acc-savings', accountNumberDisplay: '...9876', accountCategory: 'DEPOSIT_ACCOUNT', accountType: 'SAVINGS', status: 'OPEN' },
  { accountId: 'acc-closed', nickname: 'Old Card', accountNumberDisplay: '...0001', accountCategory: 'LOAN_ACCOUNT', accountType: 'CREDITCARD', status: 'CLOSED' },
];

export interface CatalogServer {
  url: string;
  secret: string;
  /** The accounts served for one customer. */
  set(customerId: string, accounts: CatalogAccount[]): void;
  /** While down, every request answers 503 { error: "unavailable" } (the API's data source down). */
  down: boolean;
  /** Authorization headers received, in order. */
  readonly authorizations: (string | undefined)[];
  close(): Promise<void>;
}

/**
 * The API's side of contract §4 as a small real HTTP server: GET /internal/v1/customers/{id}/accounts
 * with Bearer INTERNAL_SECRET, for an OP that runs without the API (its tests, the OP benchmark):
 * point its API_INTERNAL_URL here.
 */
export async function startCatalogServer(secret: string): Promise<CatalogServer> {
  const accounts = new Map<string, CatalogAccount[]>();
  const authorizations: (string | undefined)[] = [];
  const handle: CatalogServer = {
    url: '',
    secret,
    set: (customerId, list) => accounts.set(customerId, list),
    down: false,
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    const match = /^\/internal\/v1\/customers\/([^/]+)\/accounts$/.exec(req.url ?? '');
    if (req.headers.authorization !== `Bearer ${secret}`) return send(401, { error: 'unauthorized' });
    if (!match || req.method !== 'GET') return send(404, { error: 'not_found' });
    if (handle.down) return send(503, { error: 'unavailable' });
    send(200, { accounts: accounts.get(decodeURIComponent(match[1]!)) ?? DEFAULT_ACCOUNTS });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  handle.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return handle;
}
