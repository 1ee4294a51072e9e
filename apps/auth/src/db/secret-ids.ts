import { createHmac } from 'node:crypto';
import type { AdapterPayload } from 'oidc-provider';

/**
 * Models whose id is a bearer secret: whoever holds it can use it (refresh tokens, authorization
 * codes, the session cookie's value, the interaction id, registration access tokens, opaque access
 * tokens). Their rows are keyed by HMAC-SHA-256(TOKEN_HASH_KEY, id), so a copy of the database
 * (a backup) holds no usable token. Not here: Grant and Client (their ids are not credentials),
 * ReplayDetection and PushedAuthorizationRequest (public by design), and DeviceCode /
 * PreAuthorizedCode, which oidc-provider finds by user code and saves again under the id it read.
 */
export const HASHED_MODELS: ReadonlySet<string> = new Set([
  'AccessToken',
  'AuthorizationCode',
  'BackchannelAuthenticationRequest',
  'ClientCredentials',
  'InitialAccessToken',
  'Interaction',
  'RefreshToken',
  'RegistrationAccessToken',
  'Session',
]);

/**
 * Row ids and payloads of the secret-keyed models: the id is stored as its keyed hash and every
 * copy of it is taken out of the payload (`jti`; the interaction's `returnTo` URL ends with it), to
 * be put back on read, where the caller knows the id. An interaction's copy of its session's id
 * (`session.cookie`, which oidc-provider 9 writes and never reads) is dropped.
 */
export class SecretIds {
  constructor(private readonly key: string) {}

  isHashed(model: string): boolean {
    return HASHED_MODELS.has(model);
  }

  /** The row id for a model's id: its keyed hash (base64url) for the secret-keyed models. */
  rowId(model: string, id: string): string {
    return this.isHashed(model) ? createHmac('sha256', this.key).update(id).digest('base64url') : id;
  }

  /** The payload as stored: without the raw id. */
  seal(model: string, id: string, payload: AdapterPayload): AdapterPayload {
    if (!this.isHashed(model)) return payload;
    const { jti: _jti, ...rest } = payload;
    const sealed: AdapterPayload = rest;
    if (typeof sealed.returnTo === 'string' && sealed.returnTo.endsWith(`/${id}`)) {
      sealed.returnTo = sealed.returnTo.slice(0, -id.length);
    }
    if (isRecord(sealed.session) && 'cookie' in sealed.session) {
      const { cookie: _cookie, ...session } = sealed.session;
      sealed.session = session;
    }
    return sealed;
  }

  /** The payload as oidc-provider wrote it, from the stored one and the id it was looked up by. */
  open(model: string, id: string, stored: AdapterPayload): AdapterPayload {
    if (!this.isHashed(model)) return stored;
    const payload: AdapterPayload = { ...stored, jti: id };
    if (typeof payload.returnTo === 'string' && payload.returnTo.endsWith('/')) payload.returnTo += id;
    return payload;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
