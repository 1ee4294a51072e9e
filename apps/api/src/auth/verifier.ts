import { createHash } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';

/** The facts of a verified access token the API relies on (never the token text). */
export interface AccessToken {
  sub: string;
  scopes: ReadonlySet<string>;
  clientId: string | undefined;
  jti: string | undefined;
  exp: number | undefined;
  /** RFC 8705 `cnf.x5t#S256`: the token may only be used with this client certificate. */
  certificateThumbprint: string | undefined;
  /** The consent the token was issued under (`fdxConsentId`); absent on tokens issued before consents existed. */
  consentId: string | undefined;
  /** The accounts the customer selected for that consent (`account_ids`); undefined = all of the customer's accounts. */
  accountIds: ReadonlySet<string> | undefined;
  /** The client's API allowances the OP signed into the token (`rl` claim); absent: the API's own defaults. */
  rateLimits: TokenRateLimits | undefined;
}

/** Requests per minute, 0: no limit (the OP's `rl` claim, docs/deploying.md "Sizing"). */
export interface TokenRateLimits {
  perClient: number | undefined;
  perCustomer: number | undefined;
}

const allowance = (value: unknown): number | undefined => (Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : undefined);

/** The `rl` claim; a field that is not a non-negative integer falls back to the API's default. */
function rateLimitsOf(claim: unknown): TokenRateLimits | undefined {
  if (typeof claim !== 'object' || claim === null) return undefined;
  const rl = claim as Record<string, unknown>;
  return { perClient: allowance(rl.api_per_minute), perCustomer: allowance(rl.api_per_customer_per_minute) };
}

export interface VerifierOptions {
  jwksUri: string;
  issuer: string;
  /** Accepted `aud` values (any one of them). */
  audience: string | string[];
  /** Seconds of clock skew tolerated on exp/nbf/iat. */
  clockToleranceSeconds: number;
  /** Minimum time between JWKS refetches triggered by an unknown kid. */
  jwksCooldownMs: number;
  /** How long a fetched JWKS is trusted before it is refreshed. */
  jwksCacheMaxAgeMs?: number;
  /** How long a verified token is remembered (never past its exp); 0 verifies every time. */
  verifiedCacheMs?: number;
}

/** Why a token was refused, as a bounded metric label (`reason` is the text for the challenge). */
export type RejectionKind =
  | 'expired'
  | 'claims'
  | 'algorithm'
  | 'signature'
  | 'unknown_key'
  | 'malformed'
  | 'unsupported'
  | 'certificate_binding';

/** The token cannot be accepted: bad signature, claims, type, algorithm or shape. */
export class InvalidTokenError extends Error {
  constructor(
    readonly reason: string,
    readonly kind: RejectionKind = 'malformed',
  ) {
    super(reason);
    this.name = 'InvalidTokenError';
  }
}

/** The key set could not be fetched: we cannot tell whether the token is good. */
export class KeySetUnavailableError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('the authorization server key set is unavailable', options);
    this.name = 'KeySetUnavailableError';
  }
}

export type TokenVerifier = (token: string) => Promise<AccessToken>;

/** Asymmetric algorithms only: `none` and HS* (a public key used as an HMAC secret) never pass. */
export const ALLOWED_ALGORITHMS = ['RS256', 'PS256', 'ES256'];

function reasonOf(err: unknown): InvalidTokenError | undefined {
  if (err instanceof errors.JWTExpired) return new InvalidTokenError('the token has expired', 'expired');
  if (err instanceof errors.JWTClaimValidationFailed) return new InvalidTokenError(`the token's "${err.claim}" claim is not acceptable`, 'claims');
  if (err instanceof errors.JOSEAlgNotAllowed) return new InvalidTokenError('the token is signed with an algorithm this API does not accept', 'algorithm');
  if (err instanceof errors.JWSSignatureVerificationFailed) return new InvalidTokenError('the token signature is invalid', 'signature');
  if (err instanceof errors.JWKSNoMatchingKey) return new InvalidTokenError('the token was signed with an unknown key', 'unknown_key');
  if (err instanceof errors.JWKSMultipleMatchingKeys) return new InvalidTokenError('the token key is ambiguous', 'unknown_key');
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return new InvalidTokenError('the token is malformed', 'malformed');
  if (err instanceof errors.JOSENotSupported) return new InvalidTokenError('the token uses an unsupported feature', 'unsupported');
  return undefined;
}

/** At most this many selected accounts per consent (the OP never issues more). */
export const MAX_ACCOUNT_IDS = 1000;
const MAX_CLAIM_ID_LENGTH = 256;

const isId = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= MAX_CLAIM_ID_LENGTH;

function consentIdOf(payload: JWTPayload): string | undefined {
  const value = payload.fdxConsentId;
  if (value === undefined) return undefined;
  if (!isId(value)) throw new InvalidTokenError('the token\'s "fdxConsentId" claim is not acceptable');
  return value;
}

/** Absent: every account of the customer (legacy tokens, clients without account selection). Malformed: the token is refused. */
function accountIdsOf(payload: JWTPayload): ReadonlySet<string> | undefined {
  const value = payload.account_ids;
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > MAX_ACCOUNT_IDS || !value.every(isId)) {
    throw new InvalidTokenError('the token\'s "account_ids" claim is not acceptable');
  }
  return new Set(value);
}

/**
 * One remote key set per verifier, created once: jose caches it, refetches on an
 * unknown kid at most once per cooldown, so rotation works and a flood of made-up
 * kids cannot hammer the OP.
 */
export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const jwks = createRemoteJWKSet(new URL(options.jwksUri), {
    cooldownDuration: options.jwksCooldownMs,
    cacheMaxAge: options.jwksCacheMaxAgeMs ?? 10 * 60_000,
    timeoutDuration: 5_000,
  });
  const verify: TokenVerifier = async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ALLOWED_ALGORITHMS,
        typ: 'at+jwt',
        clockTolerance: options.clockToleranceSeconds,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (err) {
      const invalid = reasonOf(err);
      if (invalid) throw invalid;
      // Timeouts, refused connections and unusable key set documents: the OP's problem, not the token's.
      throw new KeySetUnavailableError({ cause: err });
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new InvalidTokenError('the token has no subject', 'claims');
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    return {
      sub: payload.sub,
      scopes: new Set(scope.split(' ').filter(Boolean)),
      clientId: typeof payload.client_id === 'string' ? payload.client_id : undefined,
      jti: payload.jti,
      exp: payload.exp,
      certificateThumbprint: thumbprintOf(payload.cnf),
      consentId: consentIdOf(payload),
      accountIds: accountIdsOf(payload),
      rateLimits: rateLimitsOf(payload.rl),
    };
  };
  const cacheMs = options.verifiedCacheMs ?? 60_000;
  return cacheMs > 0 ? rememberVerified(verify, cacheMs) : verify;
}

function thumbprintOf(cnf: unknown): string | undefined {
  if (cnf === undefined) return undefined;
  const value = typeof cnf === 'object' && cnf !== null ? (cnf as Record<string, unknown>)['x5t#S256'] : undefined;
  // A confirmation this API cannot check (another method, or a malformed one) is not ignored.
  if (typeof value !== 'string' || value.length === 0) throw new InvalidTokenError('the token is bound by a confirmation method this API does not support', 'unsupported');
  return value;
}

const VERIFIED_CACHE_SIZE = 10_000;

/**
 * Signature checks were the API's largest cost after the database: a client repeats one
 * access token for many calls. A token verified once is remembered for `cacheMs`, never past
 * its `exp`, keyed by its SHA-256 (no token text is kept). Every other token, and each token
 * again after `cacheMs`, is fully verified, so a key retired from the JWKS stops working
 * within that time, as it does with jose's key set cache.
 */
function rememberVerified(verify: TokenVerifier, cacheMs: number): TokenVerifier {
  const verified = new Map<string, { token: AccessToken; until: number }>();
  return async (token) => {
    const key = createHash('sha256').update(token).digest('base64url');
    const now = Date.now();
    const hit = verified.get(key);
    if (hit && now < hit.until) return hit.token;
    if (hit) verified.delete(key);
    const result = await verify(token);
    const until = Math.min(now + cacheMs, (result.exp ?? 0) * 1000);
    if (until > now) {
      if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
      verified.set(key, { token: result, until });
    }
    return result;
  };
}
