// A browser-less OAuth client over HTTPS (verified against the run's Caddy CA): cookie jar,
// login + consent on the OP's pages, code exchange, refresh, FDX calls. Every response records
// which instance answered (X-Served-By). Used by the scale tests and `pnpm load`.
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request } from 'node:https';
import { SCALE_CLIENT } from './topology.js';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  servedBy: string;
  location: string | undefined;
  json<T = Record<string, unknown>>(): T;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export class Https {
  private readonly agent: Agent;
  constructor(ca: Buffer, maxSockets = 256) {
    this.agent = new Agent({ ca, keepAlive: true, maxSockets });
  }

  fetch(url: string, options: RequestOptions = {}): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: this.agent, timeout: 30_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            servedBy: String(res.headers['x-served-by'] ?? ''),
            location: res.headers.location,
            json: <T>() => JSON.parse(body) as T,
          }),
        );
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(options.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Status codes a client retries: Caddy's 502/503 while an instance dies, or an OP/API outage answer. */
const RETRYABLE = new Set([502, 503, 504]);

/**
 * Retries connection errors and 502/503/504 a few times, like a production client. `retries`
 * counts what happened, for the report.
 */
export async function withRetry(send: () => Promise<HttpResponse>, stats?: { retries: number }, attempts = 20): Promise<HttpResponse> {
  let last: unknown;
  for (let i = 0; i < attempts; i += 1) {
    try {
      const res = await send();
      if (!RETRYABLE.has(res.status)) return res;
      last = new Error(`HTTP ${res.status}: ${res.body.slice(0, 200)}`);
    } catch (err) {
      last = err;
    }
    if (stats) stats.retries += 1;
    await new Promise((r) => setTimeout(r, 100 + i * 50));
  }
  throw last instanceof Error ? last : new Error(String(last));
}

export class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(res: HttpResponse): void {
    const lines = res.headers['set-cookie'] ?? [];
    for (const line of Array.isArray(lines) ? lines : [lines]) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  scope: string;
}

const basic = `Basic ${Buffer.from(`${SCALE_CLIENT.client_id}:${SCALE_CLIENT.client_secret}`).toString('base64')}`;
const formHeaders = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic };

/** One user agent: a cookie jar and the instances that answered it, in order. */
export class OAuthSession {
  readonly jar = new CookieJar();
  readonly servedBy: string[] = [];
  readonly stats = { retries: 0 };

  constructor(
    readonly http: Https,
    readonly opUrl: string,
    readonly apiUrl: string,
    readonly retry = false,
  ) {}

  private async send(url: string, options: RequestOptions = {}, withCookies = true): Promise<HttpResponse> {
    const go = () => {
      const headers = { ...options.headers };
      if (withCookies && this.jar.header()) headers.cookie = this.jar.header();
      return this.http.fetch(url, { ...options, headers });
    };
    const res = this.retry ? await withRetry(go, this.stats) : await go();
    if (withCookies) this.jar.store(res);
    this.servedBy.push(res.servedBy);
    return res;
  }

  /** Follows redirects while they stay on the OP; returns the last response. */
  private async follow(res: HttpResponse): Promise<HttpResponse> {
    let current = res;
    while (current.status >= 300 && current.status < 400 && current.location) {
      const next = new URL(current.location, this.opUrl).toString();
      if (!next.startsWith(this.opUrl)) return current;
      current = await this.send(next);
    }
    return current;
  }

  private async submit(page: HttpResponse, action: 'login' | 'confirm', values: Record<string, string> = {}): Promise<HttpResponse> {
    const uid = /\/interaction\/([^/"]+)\//.exec(page.body)?.[1];
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
    if (!uid || !csrf) throw new Error(`not an interaction page (HTTP ${page.status}): ${page.body.slice(0, 200)}`);
    const res = await this.send(`${this.opUrl}/interaction/${uid}/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, ...values }).toString(),
    });
    return this.follow(res);
  }

  /** GET /auth → login page; returns the page and the PKCE verifier. */
  async startAuthorization(scope = 'openid offline_access accounts:read customers:read transactions:read') {
    const verifier = randomBytes(32).toString('base64url');
    const params = new URLSearchParams({
      client_id: SCALE_CLIENT.client_id,
      redirect_uri: SCALE_CLIENT.redirect_uris[0]!,
      response_type: 'code',
      scope,
      state: randomBytes(8).toString('hex'),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      resource: 'api://my-api',
      prompt: 'consent',
    });
    const page = await this.follow(await this.send(`${this.opUrl}/auth?${params.toString()}`));
    return { page, verifier };
  }

  async login(page: HttpResponse, email: string, password: string): Promise<HttpResponse> {
    return this.submit(page, 'login', { email, password });
  }

  /** Consent → the redirect to the client → the code. */
  async consent(page: HttpResponse): Promise<string> {
    if (!page.body.includes('consent-allow')) {
      const error = /id="login-error"[^>]*>([^<]*)</.exec(page.body)?.[1]?.trim();
      throw new Error(`not the consent page (HTTP ${page.status}${error ? `: ${error}` : ''})`);
    }
    const res = await this.submit(page, 'confirm');
    const location = res.location ? new URL(res.location) : undefined;
    const code = location?.searchParams.get('code');
    if (!code) throw new Error(`no code (HTTP ${res.status}, ${location?.searchParams.get('error') ?? res.body.slice(0, 200)})`);
    return code;
  }

  async token(params: Record<string, string>): Promise<HttpResponse> {
    return this.send(`${this.opUrl}/token`, { method: 'POST', headers: formHeaders, body: new URLSearchParams(params).toString() }, false);
  }

  async exchange(code: string, verifier: string): Promise<HttpResponse> {
    return this.token({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: SCALE_CLIENT.redirect_uris[0]! });
  }

  async refresh(refreshToken: string): Promise<HttpResponse> {
    return this.token({ grant_type: 'refresh_token', refresh_token: refreshToken, resource: 'api://my-api' });
  }

  async api(path: string, accessToken: string): Promise<HttpResponse> {
    return this.send(`${this.apiUrl}/api/fdx/v6${path}`, { headers: { authorization: `Bearer ${accessToken}` } }, false);
  }

  /** The whole login: authorize, sign in, consent, exchange the code. */
  async signIn(email = 'user@example.test', password = 'passw0rd!'): Promise<Tokens> {
    const { page, verifier } = await this.startAuthorization();
    const code = await this.consent(await this.login(page, email, password));
    const res = await this.exchange(code, verifier);
    if (res.status !== 200) throw new Error(`token endpoint: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    return res.json<Tokens>();
  }
}
