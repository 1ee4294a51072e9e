import { createHash, timingSafeEqual } from 'node:crypto';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { ConsentEndings } from './consent-endings.js';
import type { Consent } from './consent-store.js';
import { toConsentGrant } from './fdx-consent.js';

export interface InternalDeps {
  provider: Provider;
  endings: ConsentEndings;
  /** INTERNAL_SECRET: what callers send as `Authorization: Bearer`. */
  secret: string;
  providerName: string;
  /** The longest access-token lifetime any client can have (seconds): how far back the feed starts without `after`. */
  maxAccessTokenTtlSeconds: number;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Bearer INTERNAL_SECRET, compared in constant time (over digests: equal lengths). */
function requireSecret(secret: string) {
  const expected = digest(secret);
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const presented = /^bearer /i.test(header) ? header.slice(7) : '';
    if (presented && timingSafeEqual(digest(presented), expected)) return next();
    res.status(401).json({ error: 'unauthorized' });
  };
}

const badRequest = (res: Response, field: string) => res.status(400).json({ error: 'invalid_request', field });
const notFound = (res: Response) => res.status(404).json({ error: 'not_found' });

const feedQuery = z.object({
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
});
const clientIdParam = z.string().min(1).max(256);
const revocationBody = z.object({
  clientId: clientIdParam,
  reason: z.enum(['BUSINESS_RULE', 'USER_ACTION']),
  initiator: z.string().min(1).max(256),
});

/**
 * The OP's internal routes for the API (contract §3 and §5): the consent change feed and the
 * backend of the FDX consent API. Service-to-service only (INTERNAL_SECRET), JSON, never cached.
 */
export function internalRoutes(deps: InternalDeps): Router {
  const router = Router();
  const { endings } = deps;
  const store = endings.store;
  router.use('/internal/v1', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.use('/internal/v1', requireSecret(deps.secret));

  router.get('/internal/v1/consents/changes', async (req, res) => {
    const query = feedQuery.safeParse(req.query);
    if (!query.success) return badRequest(res, String(query.error.issues[0]?.path[0] ?? 'query'));
    const since = Date.now() - (deps.maxAccessTokenTtlSeconds + 60) * 1000;
    const { changes, next } = await store.changesAfter(query.data.after, query.data.limit, since);
    res.json({
      changes: changes.map((c) => ({ seq: c.seq, consentId: c.consentId, status: c.status, at: new Date(c.at).toISOString() })),
      next,
    });
  });

  /** The consent if it exists and `clientId` holds it; a 404 (or 400) has been sent otherwise. */
  async function held(req: Request, res: Response, clientId: unknown): Promise<Consent | undefined> {
    const parsed = clientIdParam.safeParse(clientId);
    if (!parsed.success) {
      badRequest(res, 'clientId');
      return undefined;
    }
    const id = String(req.params.id);
    const consent = z.uuid().safeParse(id).success ? await store.get(id) : undefined;
    if (!consent || consent.clientId !== parsed.data) {
      notFound(res);
      return undefined;
    }
    return consent;
  }

  async function consentGrant(consent: Consent) {
    const client = await deps.provider.Client.find(consent.clientId);
    const metadata = (client?.metadata() ?? {}) as Record<string, unknown>;
    const text = (key: string) => (typeof metadata[key] === 'string' ? (metadata[key]) : undefined);
    return toConsentGrant(consent, { name: text('client_name') ?? consent.clientId, homeUri: text('client_uri'), logoUri: text('logo_uri') }, deps.providerName);
  }

  router.get('/internal/v1/consents/:id', async (req, res) => {
    const consent = await held(req, res, req.query.clientId);
    if (consent) res.json({ consent: await consentGrant(consent) });
  });

  router.put('/internal/v1/consents/:id/revocation', express.json({ limit: '4kb' }), async (req, res) => {
    const body = revocationBody.safeParse(req.body ?? {});
    if (!body.success) return badRequest(res, String(body.error.issues[0]?.path[0] ?? 'body'));
    const consent = await held(req, res, body.data.clientId);
    if (!consent) return;
    const ended = await endings.end(consent.id, { status: 'REVOKED', by: 'client', reason: body.data.reason, initiator: body.data.initiator });
    res.json({ consent: await consentGrant(ended?.consent ?? consent) });
  });

  router.get('/internal/v1/consents/:id/revocation', async (req, res) => {
    const consent = await held(req, res, req.query.clientId);
    if (!consent) return;
    const history = await store.history(consent.id);
    res.json({
      revocations: history.map((c) => ({
        status: c.status,
        ...(c.reason ? { reason: c.reason } : {}),
        ...(c.initiator ? { initiator: c.initiator } : {}),
        updatedTime: new Date(c.at).toISOString(),
      })),
    });
  });

  // A body that is not JSON: the same 400 as a bad field.
  router.use('/internal/v1', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if ((err as { type?: string }).type === 'entity.parse.failed' || (err as { status?: number }).status === 400) return badRequest(res, 'body');
    next(err);
  });

  return router;
}
