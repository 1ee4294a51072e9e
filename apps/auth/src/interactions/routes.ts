import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { webSecurityHeaders, type Logger } from '@apps/shared';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import type { AuditLog } from '../audit/audit.js';
import { CatalogUnavailable, type AccountCatalog } from '../consents/account-catalog.js';
import { accountChoices, chosenAccounts, type AccountChoice } from '../consents/account-choice.js';
import { consentDurationDays, selectsAccounts } from '../consents/consent-duration.js';
import type { ConsentStore } from '../consents/consent-store.js';
import type { AuthConfig } from '../config.js';
import type { Customer, CustomerDirectory } from '../customers/directory.js';
import { normalizeEmail } from '../customers/store.js';
import { describeScopes } from '../provider/scopes.js';
import { clientKind } from '../security/client-limits.js';
import { documentHost } from '../provider/client-id-documents.js';
import { AccountLocked, CsrfError, RateLimited, UpstreamLoginError } from '../errors.js';
import type { LoginAttempt, LoginGuard } from '../security/login-guard.js';
import { renderView } from '../views.js';
import type { CsrfTokens } from './csrf.js';

export interface InteractionDeps {
  provider: Provider;
  customers: CustomerDirectory;
  guard: LoginGuard;
  audit: AuditLog;
  csrf: CsrfTokens;
  /** Form actions every page may use (the static clients' redirect origins). */
  formActionOrigins: string[];
  consents: ConsentStore;
  /** The customer's accounts for the consent page (the API, contract §4). */
  catalog: AccountCatalog;
  consentConfig: AuthConfig['consents'];
  logger: Logger;
}

const GENERIC_LOGIN_ERROR = 'The email or password is incorrect.';
const LOCKED_MESSAGE = 'Too many failed sign-in attempts. This account is temporarily locked; try again later.';
const DENIED = { error: 'access_denied', error_description: 'this account may not authorize third-party access' };
const CATALOG_DOWN = 'We could not load your accounts; try again in a moment.';
const NONE_SELECTED = 'Select at least one account to share.';

/** How much of a typed login identifier the audit keeps: enough for an email, little of anything else typed there. */
const AUDITED_IDENTIFIER_LENGTH = 64;

/** The login identifier as the audit records it: normalised like the lookup, and capped. */
function typedIdentifier(email: string): string {
  return normalizeEmail(email).slice(0, AUDITED_IDENTIFIER_LENGTH);
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

function originOf(uri: unknown): string | undefined {
  return typeof uri === 'string' ? URL.parse(uri)?.origin : undefined;
}

/**
 * The login, consent and abort steps of oidc-provider's interactions. Forms post here and
 * oidc-provider redirects on to the client's redirect_uri, so the page's CSP form-action
 * names that origin.
 */
export function interactionRoutes(deps: InteractionDeps): Router {
  const { provider, customers, guard, audit, csrf } = deps;
  const { login } = customers;
  const router = Router();
  const body = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });
  // The consent form carries one `account` field per account shared (the API lists up to 5000).
  const consentBody = express.urlencoded({ extended: false, limit: '1mb', parameterLimit: 5010 });

  const noStore = (_req: Request, res: Response, next: NextFunction) => {
    res.set('Cache-Control', 'no-store');
    next();
  };

  /** Loads the interaction (bound to this browser's cookie) and sets the page's CSP. */
  async function load(req: Request, res: Response): Promise<Details> {
    const details = await provider.interactionDetails(req, res);
    const redirectOrigin = originOf(details.params.redirect_uri);
    const formAction = ["'self'", ...deps.formActionOrigins, ...(redirectOrigin ? [redirectOrigin] : [])];
    await new Promise<void>((resolve, reject) =>
      webSecurityHeaders({ formAction })(req, res, (err?: unknown) => (err ? reject(err instanceof Error ? err : new Error('security headers failed')) : resolve())),
    );
    return details;
  }

  function checkCsrf(req: Request, uid: string): void {
    if (!csrf.verify(uid, (req.body as Record<string, unknown> | undefined)?._csrf)) throw new CsrfError();
  }

  async function renderLogin(res: Response, details: Details, extra: { error?: string; email?: string; status?: number }) {
    const client = await provider.Client.find(String(details.params.client_id));
    const html = await renderView('login', {
      uid: details.uid,
      csrf: csrf.issue(details.uid),
      clientName: client?.clientName ?? client?.clientId ?? 'An application',
      error: extra.error ?? '',
      email: extra.email ?? (typeof details.params.login_hint === 'string' ? details.params.login_hint : ''),
    });
    res.status(extra.status ?? 200).type('html').send(html);
  }

  /** A page in place of the login step (upstream failures, lockout), never a stack trace or upstream text. */
  async function renderProblem(res: Response, status: number, error: string, description: string) {
    res.status(status).type('html').send(await renderView('error', { error, description }));
  }

  /**
   * The end of every login, whichever way the person proved who they are: a blocked customer's
   * request ends with access_denied to the client; anyone else is signed in and goes on to consent.
   */
  async function finishLogin(req: Request, res: Response, details: Details, customer: Customer, amr: string) {
    const clientId = String(details.params.client_id);
    const ip = req.ip ?? 'unknown';
    let result: InteractionResults;
    if (customer.status === 'blocked') {
      void audit.record({ type: 'login.blocked', actor: customer.id, clientId, ip, detail: { amr } });
      result = DENIED;
    } else {
      void audit.record({ type: 'login.success', actor: customer.id, clientId, ip, detail: { amr } });
      result = { login: { accountId: customer.id, amr: [amr], remember: true } };
    }
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }

  async function renderUpstreamFailure(req: Request, res: Response, details: Details | undefined, err: UpstreamLoginError) {
    const clientId = details ? String(details.params.client_id) : undefined;
    void audit.record({ type: 'login.failure', clientId, ip: req.ip, detail: { upstream: err.failure, reason: err.reason } });
    if (err.status >= 500) res.set('Retry-After', '30');
    await renderProblem(res, err.status, 'sign_in_failed', err.message);
  }

  if (login.kind === 'redirect') {
    // The upstream IdP's redirect_uri is fixed; the interaction cookie is scoped to
    // /interaction/<uid>, so the callback sends the browser on into its interaction.
    router.get('/interaction/upstream/callback', noStore, async (req, res) => {
      const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
      const state = query.get('state');
      const uid = state ? await login.interactionOf(state) : undefined;
      if (!uid) return renderUpstreamFailure(req, res, undefined, new UpstreamLoginError('bad_state', 'unknown state'));
      res.redirect(303, `/interaction/${encodeURIComponent(uid)}/upstream?${query.toString()}`);
    });

    router.get('/interaction/:uid/upstream', noStore, async (req, res) => {
      const details = await load(req, res);
      if (details.prompt.name !== 'login') throw new CsrfError();
      let customer: Customer;
      try {
        customer = await login.finish(details.uid, new URLSearchParams(req.originalUrl.split('?')[1] ?? ''));
      } catch (err) {
        if (err instanceof UpstreamLoginError) return renderUpstreamFailure(req, res, details, err);
        throw err;
      }
      if (customer.status === 'locked') {
        void audit.record({ type: 'login.failure', actor: customer.id, clientId: String(details.params.client_id), ip: req.ip, detail: { reason: 'locked' } });
        res.set('Retry-After', '60');
        return renderProblem(res, 429, 'account_locked', LOCKED_MESSAGE);
      }
      await finishLogin(req, res, details, customer, 'fed');
    });
  }

  router.get('/interaction/:uid', noStore, async (req, res) => {
    const details = await load(req, res);
    if (details.prompt.name === 'login') {
      if (login.kind === 'password') return renderLogin(res, details, {});
      try {
        return res.redirect(303, (await login.start(details.uid)).href);
      } catch (err) {
        if (err instanceof UpstreamLoginError) return renderUpstreamFailure(req, res, details, err);
        throw err;
      }
    }
    await renderConsent(req, res, details, {});
  });

  /**
   * The consent page: the scopes in plain words and, unless the client runs its own selection,
   * the customer's accounts (every eligible one checked, or those `chosen`). The accounts come
   * from the API; when it cannot answer the page says so (503) and nothing else.
   */
  async function renderConsent(req: Request, res: Response, details: Details, extra: { error?: string; chosen?: string[]; status?: number }) {
    const client = await provider.Client.find(String(details.params.client_id));
    const accountId = details.session?.accountId;
    const customer = accountId ? await customers.find(accountId) : undefined;
    const requested = typeof details.params.scope === 'string' ? details.params.scope.split(' ') : [];
    const metadata = client?.metadata() as Record<string, unknown> | undefined;
    const selection = selectsAccounts(metadata);
    let accounts: AccountChoice[] = [];
    if (selection && accountId) {
      try {
        accounts = accountChoices(await deps.catalog.accountsOf(accountId), extra.chosen);
      } catch (err) {
        if (err instanceof CatalogUnavailable) return renderCatalogDown(req, res, details, err);
        throw err;
      }
    }
    const days = consentDurationDays(metadata, deps.consentConfig);
    const kind = client === undefined ? undefined : clientKind(client);
    // An agent's client_id is the URL of its metadata document: the host it came from is what the bank can vouch for.
    const agentHost = client !== undefined && kind === 'agent' ? documentHost(client.clientId) : undefined;
    res.status(extra.status ?? 200).type('html').send(
      await renderView('consent', {
        uid: details.uid,
        csrf: csrf.issue(details.uid),
        clientName: client?.clientName ?? agentHost ?? client?.clientId ?? 'An application',
        // Registered over HTTP, or an agent's document: its name is its own claim, not the operator's.
        selfRegistered: kind === 'registered',
        agentHost,
        scopes: describeScopes(requested),
        accountLabel: customer?.claims.email ?? accountId ?? '',
        selection,
        accounts,
        error: extra.error ?? '',
        expiresOn: new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10),
      }),
    );
  }

  /** The API could not list the accounts: a clear page, Retry-After, and a log line without customer data. */
  async function renderCatalogDown(req: Request, res: Response, details: Details, err: CatalogUnavailable) {
    deps.logger.warn({ reason: err.reason, clientId: String(details.params.client_id) }, 'account catalog unavailable');
    res.set('Retry-After', '10');
    await renderProblem(res, 503, 'accounts_unavailable', CATALOG_DOWN);
  }

  router.post('/interaction/:uid/login', noStore, body, async (req, res) => {
    const details = await load(req, res);
    checkCsrf(req, details.uid);
    if (details.prompt.name !== 'login' || login.kind !== 'password') throw new CsrfError();
    const form = req.body as Record<string, unknown>;
    const email = typeof form.email === 'string' ? form.email.slice(0, 320) : '';
    const password = typeof form.password === 'string' ? form.password.slice(0, 1024) : '';
    const ip = req.ip ?? 'unknown';
    const clientId = String(details.params.client_id);
    let attempt: LoginAttempt;
    try {
      attempt = await guard.admit(ip, email);
    } catch (err) {
      if (err instanceof RateLimited || err instanceof AccountLocked) {
        res.set('Retry-After', String(err.retryAfter));
        const message = err instanceof AccountLocked ? LOCKED_MESSAGE : 'Too many sign-in attempts. Please wait and try again.';
        void audit.record({ type: 'rate_limit.exceeded', clientId, ip, detail: { endpoint: 'login', reason: err.name } });
        return renderLogin(res, details, { error: message, email, status: 429 });
      }
      throw err;
    }
    const customer = email && password ? await login.authenticate(email, password) : undefined;
    if (!customer) {
      const actor = typedIdentifier(email);
      void audit.record({ type: 'login.failure', actor, clientId, ip });
      if (attempt.locksOnFailure) void audit.record({ type: 'login.lockout', actor, clientId, ip });
      return renderLogin(res, details, { error: GENERIC_LOGIN_ERROR, email, status: 401 });
    }
    await guard.succeeded(email);
    await finishLogin(req, res, details, customer, 'pwd');
  });

  router.post('/interaction/:uid/confirm', noStore, consentBody, async (req, res) => {
    const details = await load(req, res);
    checkCsrf(req, details.uid);
    const { prompt, params, session } = details;
    if (prompt.name !== 'consent' || !session) throw new CsrfError();
    const accountId = session.accountId;
    const clientId = String(params.client_id);
    const customer = await customers.find(accountId);
    if (!customer || customer.status === 'blocked') {
      void audit.record({ type: 'login.blocked', actor: accountId, clientId, ip: req.ip });
      return provider.interactionFinished(req, res, DENIED, { mergeWithLastSubmission: false });
    }
    const client = await provider.Client.find(clientId);
    if (!client) throw new CsrfError();
    const metadata = client.metadata() as Record<string, unknown>;
    // The accounts shared: those checked among the customer's eligible accounts, asked of the API
    // again (the form is the customer's choice, not the list of their accounts).
    let accountIds: string[] | null = null;
    if (selectsAccounts(metadata)) {
      const submitted = (req.body as Record<string, unknown>).account;
      try {
        const choice = chosenAccounts(await deps.catalog.accountsOf(accountId), submitted);
        if (!choice.ok) return renderConsent(req, res, details, { error: NONE_SELECTED, chosen: [], status: 400 });
        accountIds = choice.accountIds;
      } catch (err) {
        if (err instanceof CatalogUnavailable) return renderCatalogDown(req, res, details, err);
        throw err;
      }
    }
    const durationDays = consentDurationDays(metadata, deps.consentConfig);
    // Each consent gets its own grant (its tokens end with it); a grant this session already holds
    // for the client passes on what it granted, and stays with its own consent.
    const grant = new provider.Grant({ accountId, clientId, expiresIn: durationDays * 86_400 } as ConstructorParameters<typeof provider.Grant>[0]);
    const previous = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
    if (previous) {
      const granted = previous.getOIDCScope();
      if (granted) grant.addOIDCScope(granted);
      const claims = previous.getOIDCClaims();
      if (claims.length > 0) grant.addOIDCClaims(claims);
      for (const indicator of Object.keys((previous as unknown as { resources?: Record<string, string> }).resources ?? {})) {
        const scope = previous.getResourceScope(indicator);
        if (scope) grant.addResourceScope(indicator, scope);
      }
    }
    const missing = prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    const resources = (grant as unknown as { resources?: Record<string, string> }).resources ?? {};
    const scopes = [grant.getOIDCScope(), ...Object.values(resources)].flatMap((s) => s.split(' ')).filter(Boolean);
    const consent = await deps.consents.create({ grantId, clientId, customerId: accountId, scopes, accountIds, durationDays });
    void audit.record({
      type: 'consent.granted',
      actor: accountId,
      clientId,
      ip: req.ip,
      detail: { consentId: consent.id, grantId, scope: params.scope, scopes: consent.scopes, accountIds, expiresAt: new Date(consent.expiresAt).toISOString() },
    });
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  });

  router.post('/interaction/:uid/abort', noStore, body, async (req, res) => {
    const details = await load(req, res);
    checkCsrf(req, details.uid);
    void audit.record({ type: 'consent.denied', actor: details.session?.accountId, clientId: String(details.params.client_id), ip: req.ip });
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'the user denied the request' },
      { mergeWithLastSubmission: false },
    );
  });

  return router;
}
