import { Router, type Response } from 'express';
import { consentEnded, consentEndedOf, requireAnyScope, requireToken, Scope, tokenOf } from '../auth/bearer.js';
import type { TokenVerifier } from '../auth/verifier.js';
import { badRequest, consentNotFound } from '../errors.js';
import { pathParam } from '../fdx/context.js';
import type { rateLimit } from '../fdx/rate-limit.js';
import { OpUnavailableError, type OpClient, type OpResponse } from './op-client.js';
import type { EndedConsents } from './revocations.js';
import { consentRevocationRequest, opBadRequest, opConsentAnswer, opRevocationsAnswer } from './schemas.js';

export interface ConsentRoutesOptions {
  verify: TokenVerifier;
  ended: EndedConsents;
  resourceMetadataUrl: string;
  rateLimit?: ReturnType<typeof rateLimit>;
  /** The OP's internal consent endpoints (CONSENT-CONTRACT §5). */
  op: OpClient;
}

const MAX_ID_LENGTH = 256;
const API_SCOPES: readonly string[] = Object.values(Scope);

/**
 * The consent the request names, if this token may act on it: a token of an ended consent may
 * still read and revoke its own consent (so a recipient can read the history with the token it
 * held), and nothing else. Returns the client to ask the OP for; 404 without one.
 */
function consentAccess(res: Response, consentId: string, resourceMetadataUrl: string): { consentId: string; clientId: string } {
  const token = tokenOf(res);
  if (consentEndedOf(res) && consentId !== token.consentId) throw consentEnded(resourceMetadataUrl);
  if (consentId.length > MAX_ID_LENGTH || !token.clientId) throw consentNotFound();
  return { consentId, clientId: token.clientId };
}

/** A 200 body the OP sent in the contract's shape, or the OP is not usable. */
function answer<T>(res: OpResponse, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }): T {
  const parsed = schema.safeParse(res.body);
  if (!parsed.success) throw new OpUnavailableError('the OP answered a consent request with a body outside the contract');
  return parsed.data;
}

const consentPath = (consentId: string) => `/internal/v1/consents/${encodeURIComponent(consentId)}`;

/**
 * The FDX consent API for data recipients, under the FDX base path: GET /consents/{consentId},
 * PUT and GET /consents/{consentId}/revocation. Answers only the client holding the consent (the
 * token's client_id; 404 for any other, as for a missing one); the OP keeps the consents and
 * answers through its internal endpoints.
 */
export function consentRoutes(options: ConsentRoutesOptions): Router {
  const router = Router();
  const { op, resourceMetadataUrl } = options;
  router.use(requireToken({ verify: options.verify, ended: options.ended, resourceMetadataUrl, allowEndedConsent: true }));
  if (options.rateLimit) router.use(options.rateLimit.afterToken, options.rateLimit.afterTokenError);
  // Any of this API's scopes: a recipient manages its consent with whatever token it holds for it.
  router.use(requireAnyScope(API_SCOPES, resourceMetadataUrl));

  router.get('/:consentId', async (req, res) => {
    const { consentId, clientId } = consentAccess(res, pathParam(req, 'consentId'), resourceMetadataUrl);
    const found = await op.request('GET', consentPath(consentId), { query: { clientId } });
    if (found.status === 404) throw consentNotFound();
    res.set('Cache-Control', 'no-store').json(answer(found, opConsentAnswer).consent);
  });

  router.put('/:consentId/revocation', async (req, res) => {
    const { consentId, clientId } = consentAccess(res, pathParam(req, 'consentId'), resourceMetadataUrl);
    const body = consentRevocationRequest.safeParse(req.body);
    if (!body.success) throw badRequest(body.error.issues[0]?.message ?? 'The revocation request is invalid');
    const ended = await op.request('PUT', `${consentPath(consentId)}/revocation`, { body: { clientId, ...body.data } });
    if (ended.status === 404) throw consentNotFound();
    if (ended.status === 400) {
      const field = opBadRequest.safeParse(ended.body);
      throw badRequest(`"${field.success ? field.data.field : 'body'}" is not acceptable`);
    }
    answer(ended, opConsentAnswer);
    // FDX: 204 once the consent is revoked (or already was); GET /consents/{consentId} shows it.
    res.status(204).end();
  });

  router.get('/:consentId/revocation', async (req, res) => {
    const { consentId, clientId } = consentAccess(res, pathParam(req, 'consentId'), resourceMetadataUrl);
    const history = await op.request('GET', `${consentPath(consentId)}/revocation`, { query: { clientId } });
    if (history.status === 404) throw consentNotFound();
    res.set('Cache-Control', 'no-store').json(answer(history, opRevocationsAnswer));
  });

  return router;
}
