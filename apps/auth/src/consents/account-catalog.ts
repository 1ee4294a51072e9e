import { z } from 'zod';

/** One of the customer's accounts as the consent page lists it (contract §4). */
export interface CatalogAccount {
  accountId: string;
  nickname?: string | undefined;
  accountNumberDisplay?: string | undefined;
  accountCategory: string;
  accountType?: string | undefined;
  status?: string | undefined;
}

/** The accounts could not be loaded: the consent page asks the customer to try again. */
export class CatalogUnavailable extends Error {
  constructor(readonly reason: string) {
    super('the account catalog is unavailable');
    this.name = 'CatalogUnavailable';
  }
}

/**
 * Where the consent page gets a customer's accounts: the port. The API serves them (HttpAccountCatalog,
 * contract §4); throws CatalogUnavailable when they cannot be had.
 */
export interface AccountCatalog {
  accountsOf(customerId: string): Promise<CatalogAccount[]>;
}

/** An account the customer may share: any not CLOSED. */
export const isEligible = (account: CatalogAccount) => account.status?.toUpperCase() !== 'CLOSED';

const accountsResponse = z.object({
  accounts: z.array(
    z.looseObject({
      accountId: z.string().min(1).max(256),
      nickname: z.string().max(256).optional(),
      accountNumberDisplay: z.string().max(64).optional(),
      accountCategory: z.string().min(1).max(64),
      accountType: z.string().max(64).optional(),
      status: z.string().max(64).optional(),
    }),
  ),
});

/**
 * The API's internal accounts route: `GET {API_INTERNAL_URL}/internal/v1/customers/{id}/accounts`
 * with the shared INTERNAL_SECRET. In development Caddy's CA is trusted through NODE_EXTRA_CA_CERTS,
 * as for the API's JWKS fetch.
 */
export class HttpAccountCatalog implements AccountCatalog {
  constructor(
    private readonly baseUrl: string,
    private readonly secret: string,
    private readonly timeoutMs = 5000,
  ) {}

  async accountsOf(customerId: string): Promise<CatalogAccount[]> {
    const url = `${this.baseUrl}/internal/v1/customers/${encodeURIComponent(customerId)}/accounts`;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { authorization: `Bearer ${this.secret}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new CatalogUnavailable((err as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable');
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new CatalogUnavailable(`HTTP ${res.status}`);
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new CatalogUnavailable('not JSON');
    }
    const parsed = accountsResponse.safeParse(body);
    if (!parsed.success) throw new CatalogUnavailable('unexpected response');
    return parsed.data.accounts;
  }
}
