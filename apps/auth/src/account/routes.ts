import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '@apps/shared';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { AccountCatalog } from '../consents/account-catalog.js';
import type { ConsentEndings } from '../consents/consent-endings.js';
import type { Consent } from '../consents/consent-store.js';
import { mayHoldTokens, type Customer, type CustomerDirectory } from '../customers/directory.js';
import type { CsrfTokens } from '../interactions/csrf.js';
import { renderView } from '../views.js';
import { CALLBACK_PATH, CONNECTIONS_PATH } from './built-in-client.js';
import { ClientLabels } from './client-labels.js';
import { connectionsPage } from './connections.js';
import { signedIn, type SignedIn } from './op-session.js';
import { finishSignIn, SignInError, startSignIn, type SignInFailure } from './sign-in.js';

export interface AccountDeps {
  provider: Provider;
  issuer: string;
  customers: CustomerDirectory;
  endings: ConsentEndings;
  /** Names the shared accounts (the consent page's catalog). */
  catalog: AccountCatalog;
  csrf: CsrfTokens;
  logger: Logger;
}

/** How many connections the page lists (newest first); a customer with more sees the newest. */
const LISTED = 200;

const SIGN_IN_PROBLEMS: Record<SignInFailure, { status: number; error: string; description: string }> = {
  not_started: { status: 400, error: 'sign_in_expired', description: 'This sign-in has expired or was not started in this browser. Open Connected apps again.' },
  refused: { status: 403, error: 'access_denied', description: 'This account may not manage connected apps here.' },
  failed: { status: 400, error: 'sign_in_failed', description: 'The sign-in did not complete. Open Connected apps again.' },
};
const NOT_FOUND = { status: 404, error: 'not_found', description: 'There is no such connection among yours.' };
const STALE_FORM = { status: 403, error: 'invalid_request', description: 'The form was stale or did not come from this site. Open Connected apps and try again.' };
const SIGNED_OUT = { status: 401, error: 'login_required', description: 'You are no longer signed in. Open Connected apps to sign in again.' };

const consentId = z.uuid();

/**
 * The customer's "Connected apps" page at the OP (issue 16): every connection with what it can
 * see, Stop sharing with a confirmation, and the ended ones. It reads the OP session the customer
 * already has; without one it signs them in through the OP's built-in client. Forms carry a CSRF
 * token bound to the session; no JavaScript.
 */
export function accountRoutes(deps: AccountDeps): Router {
  const { provider, issuer, csrf, endings } = deps;
  const store = endings.store;
  const router = Router();
  const body = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 5 });

  router.use(CONNECTIONS_PATH, (_req: Request, res: Response, next: NextFunction) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  async function problem(res: Response, p: { status: number; error: string; description: string }) {
    res.status(p.status).type('html').send(await renderView('error', { ...p, link: { href: CONNECTIONS_PATH, text: 'Go to Connected apps' } }));
  }

  /** The signed-in customer, if they still may use the OP (blocked and deleted customers may not). */
  async function customerOf(req: Request, res: Response): Promise<(SignedIn & { customer: Customer }) | undefined> {
    const session = await signedIn(provider, req, res);
    if (!session) return undefined;
    const customer = await deps.customers.find(session.accountId, { lockout: false });
    return mayHoldTokens(customer) ? { ...session, customer } : undefined;
  }

  /** Token for the page's forms: bound to this session, useless for the interaction pages. */
  const formToken = (who: SignedIn) => csrf.issue(`connections:${who.sessionId}`);

  /** The customer's own consent with this id; any other id (unknown, malformed, another customer's) is not found. */
  async function ownConsent(who: SignedIn, id: string): Promise<Consent | undefined> {
    const consent = consentId.safeParse(id).success ? await store.get(id) : undefined;
    return consent?.customerId === who.accountId ? consent : undefined;
  }

  router.get(CONNECTIONS_PATH, async (req, res) => {
    const who = await customerOf(req, res);
    if (!who) return res.redirect(303, startSignIn(provider, issuer, req, res));
    const labels = new ClientLabels(provider);
    const page = await connectionsPage(await store.listForCustomer(who.accountId, LISTED), { labels, catalog: deps.catalog, customerId: who.accountId });
    if (page.accountsUnavailable) deps.logger.warn('account catalog unavailable for the connected-apps page');
    const stopped = typeof req.query.stopped === 'string' ? page.ended.find((c) => c.id === req.query.stopped) : undefined;
    res.type('html').send(
      await renderView('connections', { ...page, csrf: formToken(who), stopped, accountLabel: who.customer.claims.email ?? who.accountId }),
    );
  });

  router.get(CALLBACK_PATH, async (req, res) => {
    try {
      const accountId = await finishSignIn(provider, issuer, req, res, new URLSearchParams(req.originalUrl.split('?')[1] ?? ''));
      // The session the sign-in made must be this browser's, else the page would send it round again.
      const who = await customerOf(req, res);
      if (who?.accountId !== accountId) throw new SignInError('failed');
      res.redirect(303, CONNECTIONS_PATH);
    } catch (err) {
      if (!(err instanceof SignInError)) throw err;
      await problem(res, SIGN_IN_PROBLEMS[err.failure]);
    }
  });

  router.get(`${CONNECTIONS_PATH}/:id/stop`, async (req, res) => {
    const who = await customerOf(req, res);
    if (!who) return res.redirect(303, startSignIn(provider, issuer, req, res));
    const consent = await ownConsent(who, req.params.id);
    if (!consent) return problem(res, NOT_FOUND);
    const page = await connectionsPage([consent], { labels: new ClientLabels(provider), catalog: deps.catalog, customerId: who.accountId });
    const connection = page.active[0];
    if (!connection) return res.redirect(303, CONNECTIONS_PATH);
    res.type('html').send(await renderView('connection-stop', { connection, csrf: formToken(who), accountsUnavailable: page.accountsUnavailable }));
  });

  router.post(`${CONNECTIONS_PATH}/:id/stop`, body, async (req, res) => {
    const who = await customerOf(req, res);
    if (!who) return problem(res, SIGNED_OUT);
    if (!csrf.verify(`connections:${who.sessionId}`, (req.body as Record<string, unknown> | undefined)?._csrf)) return problem(res, STALE_FORM);
    const consent = await ownConsent(who, req.params.id);
    if (!consent) return problem(res, NOT_FOUND);
    await endings.end(consent.id, { status: 'REVOKED', by: 'customer', reason: 'USER_ACTION' }, req.ip);
    res.redirect(303, `${CONNECTIONS_PATH}?stopped=${consent.id}`);
  });

  return router;
}
