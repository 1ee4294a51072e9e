/**
 * The API's calls to the OP's internal endpoints (/internal/v1/…, CONSENT-CONTRACT §3, §5):
 * `Authorization: Bearer <INTERNAL_SECRET>`, JSON both ways, a short timeout. Plain fetch: in
 * development Node trusts Caddy's CA through NODE_EXTRA_CA_CERTS, as for the JWKS fetch.
 */

export interface OpClientOptions {
  /** OP_INTERNAL_URL (default OP_ISSUER), without a trailing slash. */
  baseUrl: string;
  secret: string;
  timeoutMs?: number;
}

/** The OP could not be reached or answered something this API cannot use (5xx, 401, not JSON). */
export class OpUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OpUnavailableError';
  }
}

export interface OpResponse {
  status: number;
  body: unknown;
}

export interface OpClient {
  /** Statuses other than 2xx/400/404 (and unreadable bodies) throw OpUnavailableError. */
  request(method: 'GET' | 'PUT', path: string, options?: { query?: Record<string, string>; body?: unknown }): Promise<OpResponse>;
}

export function createOpClient(options: OpClientOptions): OpClient {
  const timeoutMs = options.timeoutMs ?? 5000;
  return {
    async request(method, path, { query, body } = {}) {
      const url = new URL(`${options.baseUrl}${path}`);
      for (const [name, value] of Object.entries(query ?? {})) url.searchParams.set(name, value);
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${options.secret}`,
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (cause) {
        throw new OpUnavailableError(`the OP is unreachable (${method} ${url.pathname})`, { cause });
      }
      if (!res.ok && res.status !== 400 && res.status !== 404) {
        await res.body?.cancel();
        throw new OpUnavailableError(`the OP answered ${res.status} to ${method} ${url.pathname}`);
      }
      try {
        return { status: res.status, body: await res.json() };
      } catch (cause) {
        throw new OpUnavailableError(`the OP answered ${method} ${url.pathname} with a body that is not JSON`, { cause });
      }
    },
  };
}
