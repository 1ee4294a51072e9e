// A scripted OAuth 2.0 / OpenID Connect client: one user agent (a cookie jar) signing in at one OP
// as one registered client, through the OP's own login and consent pages, without a browser.
// Over plain fetch for an OP on loopback http, or over `Https` for the stack behind Caddy; every
// answering instance is recorded (X-Served-By). Used by the OP's tests, the scale tests,
// `pnpm load` and the benchmarks.
import { createHash, randomBytes } from 'node:crypto';
import { CookieJar } from './cookie-jar.js';
import { plainHttp, withRetry, type HttpClient, type HttpReply, type HttpRequest } from './http.js';

export interface ClientRegistration {
  client_id: string;
  /** Absent: the client authenticates with its TLS certificate (RFC 8705) and sends client_id in the body. */
  client_secret?: string;
  redirect_uris: string[];
  [metadata: string]: unknown;
}

/** The confidential client an OP under test registers for scripted flows; its redirect URI is never fetched. */
export const TEST_CLIENT = {
  client_id: 'test-rp',
  client_secret: 'test-rp-client-secret-0123456789abcdef-000000',
  client_name: 'Test Relying Party',
  redirect_uris: ['https://rp.example.test/callback'],
  post_logout_redirect_uris: ['https://rp.example.test/'],
};

/** The demo user the OP seeds (SEED_DEMO_USERS). */
const DEMO = { email: 'user@example.test', password: 'passw0rd!' };
const RESOURCE = 'api://my-api';

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** client_secret_basic (RFC 6749 §2.3.1: both parts form-encoded first). */
export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** A form POST; a list value repeats its field (checkboxes). */
export function form(values: Record<string, string | readonly string[]>): Required<Pick<HttpRequest, 'method' | 'headers' | 'body'>> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) for (const v of typeof value === 'string' ? [value] : value) body.append(name, v);
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
  };
}

/** The consent page's account checkboxes (name="account"): every one listed, and those checked. */
export function accountsOn(html: string): { listed: string[]; checked: string[] } {
  const boxes = [...html.matchAll(/<input type="checkbox" name="account" value="([^"]*)"[^>]*>/g)];
  return { listed: boxes.map((m) => m[1]!), checked: boxes.filter((m) => / checked\b/.test(m[0])).map((m) => m[1]!) };
}

export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token on the page');
  return match[1]!;
}

/** The OP's redirect back to the client: its code, state or error. */
export function codeFrom(res: HttpReply): { code: string | null; state: string | null; error: string | null } {
  if (res.status !== 303) throw new Error(`expected a redirect to the client, got ${res.status}`);
  const url = new URL(res.location!);
  return { code: url.searchParams.get('code'), state: url.searchParams.get('state'), error: url.searchParams.get('error') };
}

export interface AuthorizeOptions {
  scope?: string;
  /** null: no resource indicator. */
  resource?: string | null;
  prompt?: string;
  /** null: no PKCE. */
  codeChallengeMethod?: string | null;
  clientId?: string;
  redirectUri?: string;
  /** Push the request first (RFC 9126, the client authenticated); the browser then opens only its request_uri. */
  par?: boolean;
}

export interface TokenResponse {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  error?: string;
}

/** What a token grant returned with a refresh token (offline_access). */
export type Tokens = TokenResponse & { refresh_token: string };

/** A token endpoint answer: `body` parsed, `text` as sent. */
export interface TokenResult {
  status: number;
  headers: Headers;
  body: TokenResponse;
  text: string;
  servedBy: string;
}

function tokenResult(res: HttpReply): TokenResult {
  let body: TokenResponse;
  try {
    body = res.json<TokenResponse>();
  } catch {
    throw new Error(`token endpoint: HTTP ${res.status}, not JSON: ${res.body.slice(0, 200)}`);
  }
  return { status: res.status, headers: res.headers, body, text: res.body, servedBy: res.servedBy };
}

const tokenPost = (params: Record<string, string>, auth: string | null): HttpRequest => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
  body: new URLSearchParams(params).toString(),
});

/** A token request at `issuer`, as TEST_CLIENT unless `auth` says otherwise (null: no client authentication). */
export async function tokenRequest(
  issuer: string,
  params: Record<string, string>,
  auth: string | null = basic(TEST_CLIENT.client_id, TEST_CLIENT.client_secret),
): Promise<TokenResult> {
  return tokenResult(await plainHttp.fetch(`${issuer}/token`, tokenPost(params, auth)));
}

/** The authorization code grant at `issuer`, as TEST_CLIENT. */
export async function exchange(issuer: string, code: string, verifier: string, redirectUri = TEST_CLIENT.redirect_uris[0]!): Promise<TokenResult> {
  return tokenRequest(issuer, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier });
}

export interface OAuthClientOptions {
  /** Who signs in (default TEST_CLIENT). */
  client?: ClientRegistration;
  /** How requests go out (default plain fetch; an `Https` for the stack behind Caddy). */
  http?: HttpClient;
  /** E.g. a copy of a signed-in agent's, to run interactions side by side in one session (see fork()). */
  jar?: CookieJar;
  /** Retry connection errors and 502/503/504 like a production client; `stats.retries` counts them. */
  retry?: boolean;
  /** The FDX API's origin, for api(). */
  apiUrl?: string;
  /** Defaults of every authorization request (e.g. scope and prompt). */
  authorization?: AuthorizeOptions;
  /** Where token(), exchange() and refresh() and PAR go (default the issuer's; e.g. its RFC 8705 mTLS alias). */
  tokenOrigin?: string;
  /** How token and PAR requests go out when they differ from `http` (e.g. HTTPS with a client certificate). */
  tokenHttp?: HttpClient;
}

export class OAuthClient {
  readonly client: ClientRegistration;
  readonly jar: CookieJar;
  /** The instance that answered each request, in order. */
  readonly servedBy: string[] = [];
  readonly stats = { retries: 0 };
  private readonly http: HttpClient;

  constructor(
    readonly issuer: string,
    private readonly options: OAuthClientOptions = {},
  ) {
    this.client = options.client ?? TEST_CLIENT;
    this.http = options.http ?? plainHttp;
    this.jar = options.jar ?? new CookieJar();
  }

  /** Another user agent in the same session: a copy of this one's cookies. */
  fork(): OAuthClient {
    return new OAuthClient(this.issuer, { ...this.options, jar: this.jar.clone() });
  }

  url(path: string): string {
    return path.startsWith('http') ? path : `${this.issuer}${path}`;
  }

  /** One request; the jar's cookies go with it and its Set-Cookie lines are kept, unless `cookies` is false. */
  async request(url: string, request: HttpRequest = {}, cookies = true): Promise<HttpReply> {
    const go = () => {
      const headers = { ...request.headers };
      if (cookies && this.jar.size > 0) headers.cookie = this.jar.header();
      return this.http.fetch(this.url(url), { ...request, headers });
    };
    const res = this.options.retry ? await withRetry(go, this.stats) : await go();
    if (cookies) this.jar.store(res.headers);
    this.servedBy.push(res.servedBy);
    return res;
  }

  /** Follows redirects while they stay on the OP; returns the last answer (a page or a redirect off-site). */
  async follow(res: HttpReply): Promise<HttpReply> {
    let current = res;
    while (current.status >= 300 && current.status < 400 && current.location) {
      const next = new URL(current.location, this.issuer).toString();
      if (!next.startsWith(this.issuer)) return current;
      current = await this.request(next);
    }
    return current;
  }

  async get(path: string): Promise<HttpReply> {
    return this.follow(await this.request(path));
  }

  authorizeUrl(opts: AuthorizeOptions & { challenge: string; state: string }): string {
    const o = { ...this.options.authorization, ...opts };
    const params = new URLSearchParams({
      client_id: o.clientId ?? this.client.client_id,
      redirect_uri: o.redirectUri ?? this.client.redirect_uris[0]!,
      response_type: 'code',
      scope: o.scope ?? 'openid profile email offline_access accounts:read transactions:read',
      state: o.state,
    });
    // A nonce is OpenID Connect's: a plain OAuth request (no openid, e.g. an MCP client's) has none.
    if (params.get('scope')!.split(' ').includes('openid')) params.set('nonce', randomBytes(8).toString('hex'));
    if (o.codeChallengeMethod !== null) {
      params.set('code_challenge', o.challenge);
      params.set('code_challenge_method', o.codeChallengeMethod ?? 'S256');
    }
    if (o.resource !== null) params.set('resource', o.resource ?? RESOURCE);
    if (o.prompt) params.set('prompt', o.prompt);
    return `${this.issuer}/auth?${params.toString()}`;
  }

  /** RFC 9126: pushes the authorization request as this client; the URL the browser then opens (client_id + request_uri). */
  async pushAuthorization(authorizeUrl: string): Promise<string> {
    const params = new URL(authorizeUrl).searchParams;
    const res = await this.backChannel('/request', Object.fromEntries(params));
    if (res.status !== 201) throw new Error(`pushed authorization request: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    const { request_uri: requestUri } = res.json<{ request_uri: string }>();
    return `${this.issuer}/auth?${new URLSearchParams({ client_id: params.get('client_id')!, request_uri: requestUri }).toString()}`;
  }

  /**
   * Posts an interaction form (login, consent, abort) with the page's CSRF token; follows on the OP.
   * The consent form goes as a browser sends it: with the accounts checked on the page, unless
   * `values.account` says which.
   */
  async submit(page: HttpReply, action: 'login' | 'confirm' | 'abort', values: Record<string, string | readonly string[]> = {}): Promise<HttpReply> {
    const uid = /\/interaction\/([^/"]+)\//.exec(page.body)?.[1];
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
    if (!uid || !csrf) throw new Error(`not an interaction page (HTTP ${page.status}): ${page.body.slice(0, 200)}`);
    const accounts: Record<string, readonly string[]> = action === 'confirm' && !('account' in values) ? { account: accountsOn(page.body).checked } : {};
    return this.follow(await this.request(`/interaction/${uid}/${action}`, form({ _csrf: csrf, ...accounts, ...values })));
  }

  async login(page: HttpReply, email = DEMO.email, password = DEMO.password): Promise<HttpReply> {
    return this.submit(page, 'login', { email, password });
  }

  /** GET /auth with a fresh PKCE pair and state, following to the page the OP shows (or the redirect back). */
  async startAuthorization(opts: AuthorizeOptions = {}) {
    const { verifier, challenge } = pkcePair();
    const state = randomBytes(8).toString('hex');
    const url = this.authorizeUrl({ ...opts, challenge, state });
    const page = await this.get({ ...this.options.authorization, ...opts }.par ? await this.pushAuthorization(url) : url);
    return { page, verifier, state };
  }

  /** Consent → the redirect to the client → the code; the page must be the consent page. */
  async consent(page: HttpReply): Promise<string> {
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

  /** Authorization as far as the OP asks: login and consent when shown (a remembered grant skips them). */
  async authorize(opts: AuthorizeOptions = {}, email = DEMO.email) {
    const { page: first, verifier, state } = await this.startAuthorization(opts);
    let page = first;
    if (page.status === 200 && page.body.includes('id="login-form"')) page = await this.login(page, email);
    if (page.status === 200 && page.body.includes('id="consent-allow"')) page = await this.submit(page, 'confirm');
    const result = codeFrom(page);
    if (result.state !== state) throw new Error('state mismatch');
    return { ...result, verifier };
  }

  /** A token request as this client (client_secret_basic, or client_id in the body for certificate clients), no cookies. */
  async token(params: Record<string, string>): Promise<TokenResult> {
    return tokenResult(await this.backChannel('/token', params));
  }

  /** A client-authenticated POST at the token origin: Basic with the secret, or client_id + the TLS certificate. */
  async backChannel(path: string, params: Record<string, string>): Promise<HttpReply> {
    const { client_id: clientId, client_secret: secret } = this.client;
    const request = secret ? tokenPost(params, basic(clientId, secret)) : tokenPost({ ...params, client_id: clientId }, null);
    const http = this.options.tokenHttp ?? this.http;
    const go = () => http.fetch(`${this.options.tokenOrigin ?? this.issuer}${path}`, request);
    const res = this.options.retry ? await withRetry(go, this.stats) : await go();
    this.servedBy.push(res.servedBy);
    return res;
  }

  async exchange(code: string, verifier: string): Promise<TokenResult> {
    return this.token({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: this.client.redirect_uris[0]! });
  }

  async refresh(refreshToken: string): Promise<TokenResult> {
    return this.token({ grant_type: 'refresh_token', refresh_token: refreshToken, resource: RESOURCE });
  }

  /** GET on the FDX API (apiUrl) with a bearer token. */
  async api(path: string, accessToken: string): Promise<HttpReply> {
    if (!this.options.apiUrl) throw new Error('OAuthClient: no apiUrl');
    return this.request(`${this.options.apiUrl}/api/fdx/v6${path}`, { headers: { authorization: `Bearer ${accessToken}` } }, false);
  }

  /** The whole login, strictly (login page, then consent page), and the code exchange. */
  async signIn(email = DEMO.email, password = DEMO.password): Promise<Tokens> {
    const { page, verifier } = await this.startAuthorization();
    const code = await this.consent(await this.login(page, email, password));
    const res = await this.exchange(code, verifier);
    if (res.status !== 200) throw new Error(`token endpoint: HTTP ${res.status} ${res.text.slice(0, 200)}`);
    return res.body as Tokens;
  }
}
