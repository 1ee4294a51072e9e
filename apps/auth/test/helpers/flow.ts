import { createHash, randomBytes } from 'node:crypto';
import { CookieJar, basic, csrfOf, form } from './http.js';
import { TEST_CLIENT } from './auth-server.js';

export interface AuthorizeOptions {
  scope?: string;
  resource?: string | null;
  prompt?: string;
  codeChallengeMethod?: string | null;
  clientId?: string;
  redirectUri?: string;
}

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Drives a browser-less authorization code flow against the in-process OP. */
export class Browser {
  /** `jar`: e.g. a clone of a signed-in browser's, to run interactions side by side in one session. */
  constructor(
    readonly issuer: string,
    readonly jar = new CookieJar(),
  ) {}

  url(path: string): string {
    return path.startsWith('http') ? path : `${this.issuer}${path}`;
  }

  authorizeUrl(opts: AuthorizeOptions & { challenge: string; state: string }): string {
    const params = new URLSearchParams({
      client_id: opts.clientId ?? TEST_CLIENT.client_id,
      redirect_uri: opts.redirectUri ?? TEST_CLIENT.redirect_uris[0]!,
      response_type: 'code',
      scope: opts.scope ?? 'openid profile email offline_access accounts:read transactions:read',
      state: opts.state,
      nonce: randomBytes(8).toString('hex'),
    });
    if (opts.codeChallengeMethod !== null) {
      params.set('code_challenge', opts.challenge);
      params.set('code_challenge_method', opts.codeChallengeMethod ?? 'S256');
    }
    if (opts.resource !== null) params.set('resource', opts.resource ?? 'api://my-api');
    if (opts.prompt) params.set('prompt', opts.prompt);
    return `${this.issuer}/auth?${params.toString()}`;
  }

  /** Follows redirects while they stay on the OP; returns the last response (a page or a redirect off-site). */
  async follow(res: Response): Promise<Response> {
    let current = res;
    while (current.status >= 300 && current.status < 400) {
      const location = new URL(current.headers.get('location')!, this.issuer).toString();
      if (!location.startsWith(this.issuer)) return current;
      await current.arrayBuffer();
      current = await this.jar.fetch(location);
    }
    return current;
  }

  async get(path: string): Promise<Response> {
    return this.follow(await this.jar.fetch(this.url(path)));
  }

  async submit(page: Response, action: 'login' | 'confirm' | 'abort', values: Record<string, string> = {}): Promise<Response> {
    const html = await page.text();
    const uid = /\/interaction\/([^/"]+)\//.exec(html)?.[1];
    if (!uid) throw new Error(`not an interaction page: ${html.slice(0, 200)}`);
    const res = await this.jar.fetch(this.url(`/interaction/${uid}/${action}`), form({ _csrf: csrfOf(html), ...values }));
    return this.follow(res);
  }

  async login(page: Response, email = 'user@example.test', password = 'passw0rd!'): Promise<Response> {
    return this.submit(page, 'login', { email, password });
  }
}

export function codeFrom(res: Response): { code: string | null; state: string | null; error: string | null } {
  if (res.status !== 303) throw new Error(`expected a redirect to the client, got ${res.status}`);
  const url = new URL(res.headers.get('location')!);
  return { code: url.searchParams.get('code'), state: url.searchParams.get('state'), error: url.searchParams.get('error') };
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

export interface TokenResult {
  status: number;
  headers: globalThis.Headers;
  body: TokenResponse;
}

export async function tokenRequest(
  issuer: string,
  body: Record<string, string>,
  auth: string | null = basic(TEST_CLIENT.client_id, TEST_CLIENT.client_secret),
): Promise<TokenResult> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
    body: new URLSearchParams(body).toString(),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as TokenResponse };
}

/** Login + consent for the demo user; returns the code and the PKCE verifier. */
export async function authorize(browser: Browser, opts: AuthorizeOptions = {}, email = 'user@example.test') {
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(8).toString('hex');
  let page = await browser.get(browser.authorizeUrl({ ...opts, challenge, state }));
  if (page.status === 200 && (await page.clone().text()).includes('id="login-form"')) page = await browser.login(page, email);
  if (page.status === 200 && (await page.clone().text()).includes('id="consent-allow"')) page = await browser.submit(page, 'confirm');
  const result = codeFrom(page);
  if (result.state !== state) throw new Error('state mismatch');
  return { ...result, verifier };
}

export async function exchange(issuer: string, code: string, verifier: string, redirectUri = TEST_CLIENT.redirect_uris[0]!): Promise<TokenResult> {
  return tokenRequest(issuer, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier });
}
