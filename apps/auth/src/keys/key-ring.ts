import type { SigningKeys } from './jwks.js';
import type { KeyState, LoadedKey, SigningKeyStore } from './key-store.js';

/** A key's facts for the key metrics; static keys (JWKS, development keys) have no known times. */
export interface PublishedKey {
  kid: string;
  alg: string;
  state: KeyState | 'static';
  createdAt: number | undefined;
  /** When a newer key of its algorithm took over (database keys that signed: previous and retired). */
  stoppedSigningAt: number | undefined;
}

/** The JWKS the OP runs with, and a fingerprint that changes whenever it (or its order) does. */
export interface KeySet {
  jwks: SigningKeys;
  fingerprint: string;
  /** The same keys in the same order (the first of an algorithm signs). */
  published: PublishedKey[];
  /** Database keys retired after they signed: no longer published, though tokens they signed may still be in use. */
  retired: PublishedKey[];
}

/**
 * How the keys combine. oidc-provider signs with the first key of the needed type and publishes
 * all of them, so the order is the precedence:
 * 1. database keys in state `current` (promoted with `pnpm kit keys`) sign;
 * 2. then the static keys, JWKS from env (or the development keys when JWKS is unset): they sign
 *    for a key type that has no current database key, and stay published while they are configured;
 * 3. then database keys `next` (published ahead of signing) and `previous` (still verifying).
 * Retired database keys are not published.
 */
export function combineKeys(staticKeys: SigningKeys, stored: readonly LoadedKey[]): SigningKeys {
  const current = stored.filter((k) => k.state === 'current').map((k) => k.jwk);
  const others = stored.filter((k) => k.state === 'next' || k.state === 'previous').map((k) => k.jwk);
  return { keys: [...current, ...staticKeys.keys, ...others] };
}

export class KeyRing {
  constructor(
    private readonly store: SigningKeyStore,
    private readonly staticKeys: SigningKeys,
  ) {}

  async load(): Promise<KeySet> {
    const stored = await this.store.published();
    const jwks = combineKeys(this.staticKeys, stored);
    const byKid = new Map(stored.map((k) => [k.kid, k]));
    const published = jwks.keys.map((jwk): PublishedKey => {
      const key = byKid.get(jwk.kid);
      return {
        kid: jwk.kid,
        alg: key?.alg ?? jwk.alg ?? jwk.kty,
        state: key?.state ?? 'static',
        createdAt: key?.createdAt,
        stoppedSigningAt: key?.stoppedSigningAt ?? undefined,
      };
    });
    const retired = (await this.store.list())
      .filter((k) => k.state === 'retired' && k.stoppedSigningAt !== null)
      .map((k): PublishedKey => ({ kid: k.kid, alg: k.alg, state: k.state, createdAt: k.createdAt, stoppedSigningAt: k.stoppedSigningAt ?? undefined }));
    return { jwks, fingerprint: jwks.keys.map((k) => k.kid).join(' '), published, retired };
  }
}
