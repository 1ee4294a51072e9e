import type { Logger } from '@apps/shared';
import * as oidc from 'openid-client';
import type { AuthConfig } from '../../config.js';
import { CustomerExists, UpstreamLoginError } from '../../errors.js';
import type { Customer, CustomerDirectory, RedirectLogin } from '../directory.js';
import type { LocalCustomerDirectory } from '../local/local-directory.js';
import type { CustomerStore } from '../store.js';
import type { PendingLogins } from './pending-logins.js';

export type UpstreamSettings = NonNullable<AuthConfig['upstream']>;

/** Upstream error codes are short tokens; anything else is not worth logging. */
const errorCode = (value: string | null) => (value && /^[\w.-]{1,64}$/.test(value) ? value : 'unknown');

/** Connection refused, DNS, timeout: the IdP is unavailable rather than wrong. */
function isUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'AbortError' || err.name === 'TimeoutError') return true;
  if (err instanceof TypeError && err.message === 'fetch failed') return true;
  return err.cause !== undefined && err.cause !== err && isUnreachable(err.cause);
}

/**
 * Customers sign in at the bank's own OpenID Connect IdP: authorization code + PKCE, state and
 * nonce (openid-client), the ID token verified, one configurable claim mapped to the customer id.
 *
 * Customers the OP has not seen are provisioned on their first login: an active local record
 * without a password, holding the IdP's name and email claims (refreshed at each login), so that
 * grants, `pnpm kit customers block` and the lockout work for them like for local customers. The
 * local status decides: a customer blocked here is refused whatever the IdP says. A deleted
 * customer comes back at their next upstream login; block them to keep them out.
 */
export class UpstreamCustomerDirectory implements CustomerDirectory {
  readonly login: RedirectLogin;
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(
    private readonly settings: UpstreamSettings,
    /** Where the IdP sends the browser back: `<OP_ISSUER>/interaction/upstream/callback`. */
    private readonly callbackUrl: string,
    private readonly local: LocalCustomerDirectory,
    private readonly store: CustomerStore,
    private readonly pending: PendingLogins,
    private readonly logger: Logger,
  ) {
    this.login = {
      kind: 'redirect',
      start: (uid) => this.start(uid),
      finish: (uid, query) => this.finish(uid, query),
      interactionOf: (state) => this.pending.interactionOf(state),
    };
  }

  find(id: string, options?: { lockout?: boolean }): Promise<Customer | undefined> {
    return this.local.find(id, options);
  }

  private async start(uid: string): Promise<URL> {
    const configuration = await this.discover();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    await this.pending.save(state, { uid, verifier, nonce });
    return oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.callbackUrl,
      scope: this.settings.scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
  }

  private async finish(uid: string, query: URLSearchParams): Promise<Customer> {
    const state = query.get('state');
    const pending = state ? await this.pending.take(state) : undefined;
    if (!state || !pending || pending.uid !== uid) throw new UpstreamLoginError('bad_state', 'unknown or used state');
    if (query.has('error')) throw new UpstreamLoginError('denied', errorCode(query.get('error')));
    const configuration = await this.discover();
    const current = new URL(this.callbackUrl);
    current.search = query.toString();
    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(configuration, current, {
        pkceCodeVerifier: pending.verifier,
        expectedState: state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (err) {
      if (isUnreachable(err)) throw new UpstreamLoginError('unavailable', 'token endpoint unreachable');
      if (err instanceof oidc.AuthorizationResponseError) throw new UpstreamLoginError('denied', errorCode(err.error));
      const code = (err as { code?: unknown }).code;
      throw new UpstreamLoginError('rejected', typeof code === 'string' ? code : (err as Error).name);
    }
    const value = claims?.[this.settings.customerClaim];
    const id = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
    if (!claims || !id) throw new UpstreamLoginError('claim_missing', `no ${this.settings.customerClaim} claim`);
    await this.provision(id, claims);
    const customer = await this.local.find(id);
    if (!customer) throw new UpstreamLoginError('rejected', 'customer vanished');
    return customer;
  }

  /** Creates the local record of a first-time customer, or refreshes its profile claims. */
  private async provision(id: string, claims: oidc.IDToken): Promise<void> {
    const profile = await this.profileOf(id, claims);
    if (await this.store.setProfile(id, profile)) return;
    try {
      await this.store.add({ id, ...profile, passwordHash: null });
      this.logger.info({ sub: id }, 'customer provisioned from the upstream IdP');
    } catch (err) {
      // A concurrent first login of the same customer created it.
      if (!(err instanceof CustomerExists && err.field === 'id')) throw err;
      await this.store.setProfile(id, profile);
    }
  }

  private async profileOf(id: string, claims: oidc.IDToken) {
    const given = [claims.given_name, claims.family_name].filter((v): v is string => typeof v === 'string').join(' ');
    const name = typeof claims.name === 'string' && claims.name ? claims.name : given || id;
    let email = typeof claims.email === 'string' && claims.email ? claims.email : null;
    const owner = email ? await this.store.credentials(email) : undefined;
    if (owner && owner.customer.id !== id) {
      // Another local customer has this email: it stays theirs, this record goes without.
      this.logger.warn({ sub: id }, "upstream customer's email belongs to another customer; not stored");
      email = null;
    }
    return { name: name.slice(0, 200), email, emailVerified: claims.email_verified === true };
  }

  /** Discovery once, retried at the next login after a failure (the IdP may be down at start-up). */
  private discover(): Promise<oidc.Configuration> {
    this.configuration ??= this.fetchConfiguration().catch((err: unknown) => {
      this.configuration = undefined;
      this.logger.warn({ err: { name: (err as Error).name, code: (err as { code?: unknown }).code } }, 'upstream IdP discovery failed');
      throw new UpstreamLoginError('unavailable', 'discovery failed');
    });
    return this.configuration;
  }

  private fetchConfiguration(): Promise<oidc.Configuration> {
    const { issuer, clientId, clientSecret, timeoutSeconds } = this.settings;
    const url = new URL(issuer);
    return oidc.discovery(url, clientId, undefined, oidc.ClientSecretBasic(clientSecret), {
      timeout: timeoutSeconds,
      // http only outside production (config.ts refuses it there): a local IdP in development and tests.
      ...(url.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
    });
  }
}
