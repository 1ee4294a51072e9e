import { perMinute, perWindow } from '@apps/shared';
import { z } from 'zod';
import type { AuthConfig } from '../config.js';

/**
 * A client's own allowances (client metadata `rate_limits`), requests per minute, 0: no limit;
 * a field left out takes the default of the client's kind. Only an operator sets them (static
 * clients, `pnpm kit clients`): dynamic registration can neither set nor raise them.
 */
export const rateLimitsSchema = z.strictObject({
  /** Token endpoint requests in which the client authenticated, all instances together. */
  token_per_minute: z.number().int().min(0).optional(),
  /** refresh_token grants of one grant (one customer's connection). */
  refresh_per_grant_per_minute: z.number().int().min(0).optional(),
  /** FDX API requests with the client's tokens (enforced by the API from the token's `rl` claim). */
  api_per_minute: z.number().int().min(0).optional(),
  /** FDX API requests with the client's tokens for one customer. */
  api_per_customer_per_minute: z.number().int().min(0).optional(),
});

export type ClientRateLimits = z.output<typeof rateLimitsSchema>;
export const RATE_LIMIT_FIELDS = Object.keys(rateLimitsSchema.shape) as (keyof ClientRateLimits)[];

/**
 * `operator`: a confidential client the operator configured (static or `pnpm kit clients`);
 * `registered`: registered over HTTP (oidc-provider stamps `client_id_issued_at` on those only);
 * `agent`: an AI assistant whose client_id is the URL of its client ID metadata document;
 * `public`: no secret. The last three keep tight defaults.
 */
export type ClientKind = 'operator' | 'registered' | 'agent' | 'public';

/** What limits need of oidc-provider's Client (its `rate_limits` metadata is read by name). */
export interface LimitedClient {
  clientAuthMethod?: string | undefined;
  clientIdIssuedAt?: number | undefined;
  /** Set by oidc-provider on clients resolved from a client ID metadata document. */
  clientIdMetadataDocument?: boolean | undefined;
}

export function clientKind(client: LimitedClient): ClientKind {
  if (client.clientIdMetadataDocument === true) return 'agent';
  if (client.clientIdIssuedAt !== undefined) return 'registered';
  return client.clientAuthMethod === 'none' ? 'public' : 'operator';
}

const parsedLimits = new WeakMap<LimitedClient, ClientRateLimits>();

/**
 * The client's `rate_limits` (validated with its metadata), or none; parsed once per client
 * instance (oidc-provider builds a new one when the metadata changes).
 */
function ownLimits(client: LimitedClient): ClientRateLimits {
  let limits = parsedLimits.get(client);
  if (limits === undefined) {
    const parsed = rateLimitsSchema.safeParse((client as unknown as Record<string, unknown>)['rate_limits'] ?? {});
    limits = parsed.success ? parsed.data : {};
    parsedLimits.set(client, limits);
  }
  return limits;
}

/** The access token claim the API enforces: per-minute allowances, 0 for none. */
export interface RateLimitClaim {
  api_per_minute: number;
  api_per_customer_per_minute: number;
}

/**
 * Every limit of one client, from its metadata or its kind's default (env, per window): counts
 * per window of the OP's counters for the OP, per minute in the token claim for the API.
 */
export class ClientLimits {
  private readonly windowMs: number;

  constructor(private readonly config: Pick<AuthConfig, 'rateLimits'>) {
    this.windowMs = config.rateLimits.windowSeconds * 1000;
  }

  /** Token endpoint requests per window (0: no limit). */
  tokenPerWindow(client: LimitedClient): number {
    const own = ownLimits(client).token_per_minute;
    if (own !== undefined) return perWindow(own, this.windowMs);
    const { tokenPerClient, tokenPerOperatorClient } = this.config.rateLimits;
    return clientKind(client) === 'operator' ? tokenPerOperatorClient : tokenPerClient;
  }

  /** refresh_token grants of one grant per window (0: no limit). */
  refreshPerGrantPerWindow(client: LimitedClient): number {
    const own = ownLimits(client).refresh_per_grant_per_minute;
    return own === undefined ? this.config.rateLimits.refreshPerGrant : perWindow(own, this.windowMs);
  }

  /** The `rl` claim of the client's access tokens. */
  apiClaim(client: LimitedClient): RateLimitClaim {
    const own = ownLimits(client);
    const { apiPerClient, apiPerOperatorClient, apiPerCustomer } = this.config.rateLimits;
    const kindDefault = clientKind(client) === 'operator' ? apiPerOperatorClient : apiPerClient;
    return {
      api_per_minute: own.api_per_minute ?? perMinute(kindDefault, this.windowMs),
      api_per_customer_per_minute: own.api_per_customer_per_minute ?? perMinute(apiPerCustomer, this.windowMs),
    };
  }
}
