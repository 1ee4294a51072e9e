import type { Kysely } from 'kysely';
import type { AuthSchema, SigningKeyTable } from '../db/schema.js';
import type { KeyCipher } from './key-cipher.js';
import { generateEcSigningKey, generateSigningKey, type AccessTokenAlg, type PrivateEcJwk, type PrivateRsaJwk } from './jwks.js';

/** How long verifiers may cache the JWKS (Plaid: 24 h): a key is published that long before it signs and after it stopped. */
export const JWKS_CACHE_MS = 24 * 3_600_000;

/**
 * A key's place in the rotation, from its times alone:
 * next (published, not signing yet) → current (signs) → previous (a newer key signs; still published) → retired (gone).
 */
export type KeyState = 'next' | 'current' | 'previous' | 'retired';

export interface StoredKey {
  kid: string;
  alg: AccessTokenAlg;
  state: KeyState;
  /** Published in the JWKS since. */
  createdAt: number;
  /** Signs from (null: only when promoted). */
  signingFrom: number | null;
  /** When the next key of its type took over (previous and retired keys). */
  stoppedSigningAt: number | null;
  retiredAt: number | null;
}

/** A key with its private JWK, for the key ring. */
export interface LoadedKey extends StoredKey {
  jwk: PrivateRsaJwk | PrivateEcJwk;
}

type Row = SigningKeyTable;

/** Whether a row ever signed: it reached its signing time before it was retired. */
const signedBy = (r: Row, now: number) => r.signing_from !== null && r.signing_from <= now && (r.retired_at === null || r.retired_at > r.signing_from);

/** The states of every key, derived from their times (one signer per algorithm: the latest that reached its signing time). */
export function keyStates(rows: readonly Row[], now: number): StoredKey[] {
  return rows.map((r) => {
    const successors = rows
      .filter((o) => o.alg === r.alg && o.kid !== r.kid && signedBy(o, now) && r.signing_from !== null && o.signing_from! > r.signing_from)
      .map((o) => o.signing_from!);
    const stoppedSigningAt = signedBy(r, now) && successors.length > 0 ? Math.min(...successors) : null;
    let state: KeyState;
    if (r.retired_at !== null) state = 'retired';
    else if (!signedBy(r, now)) state = 'next';
    else state = stoppedSigningAt === null ? 'current' : 'previous';
    return {
      kid: r.kid,
      alg: r.alg as AccessTokenAlg,
      state,
      createdAt: Number(r.created_at),
      signingFrom: r.signing_from === null ? null : Number(r.signing_from),
      stoppedSigningAt,
      retiredAt: r.retired_at === null ? null : Number(r.retired_at),
    };
  });
}

export class KeyNotFoundError extends Error {}
/** The change is refused now (retire too early, the current signer, promote too soon…); may say when it becomes possible. */
export class KeyRefusedError extends Error {
  constructor(
    message: string,
    readonly remainingMs?: number,
  ) {
    super(message);
  }
}

/** Signing keys kept in the database (0007), private parts sealed with KEYS_ENCRYPTION_KEY. */
export class SigningKeyStore {
  constructor(
    private readonly db: Kysely<AuthSchema>,
    private readonly cipher: KeyCipher | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  private sealer(): KeyCipher {
    if (!this.cipher) throw new Error('KEYS_ENCRYPTION_KEY is not set: keys stored in the database need it (at least 32 characters)');
    return this.cipher;
  }

  private rows(): Promise<Row[]> {
    return this.db.selectFrom('signing_keys').selectAll().orderBy('created_at').execute();
  }

  async list(): Promise<StoredKey[]> {
    return keyStates(await this.rows(), this.now());
  }

  /** Keys that belong in the JWKS (every state but retired), with their private JWKs. */
  async published(): Promise<LoadedKey[]> {
    const rows = await this.db.selectFrom('signing_keys').selectAll().where('retired_at', 'is', null).orderBy('created_at').execute();
    const states = keyStates(await this.rows(), this.now());
    return rows.map((row) => ({
      ...states.find((s) => s.kid === row.kid)!,
      jwk: JSON.parse(this.sealer().open(row.private_jwk, row.kid)) as PrivateRsaJwk | PrivateEcJwk,
    }));
  }

  /**
   * A new key of `alg`, published at once; it signs from `now + promoteAfterMs` (null: only
   * when promoted). One next key per algorithm at a time.
   */
  async generate(alg: AccessTokenAlg, promoteAfterMs: number | null): Promise<StoredKey> {
    const pending = (await this.list()).find((k) => k.alg === alg && k.state === 'next');
    if (pending) throw new KeyRefusedError(`key ${pending.kid} is already the next ${alg} key: promote or retire it first`);
    const cipher = this.sealer();
    const jwk = alg === 'ES256' ? generateEcSigningKey() : generateSigningKey();
    const at = this.now();
    await this.db
      .insertInto('signing_keys')
      .values({
        kid: jwk.kid,
        alg,
        private_jwk: cipher.seal(JSON.stringify(jwk), jwk.kid),
        created_at: at,
        signing_from: promoteAfterMs === null ? null : at + promoteAfterMs,
        retired_at: null,
      })
      .execute();
    return (await this.find(jwk.kid))!;
  }

  async find(kid: string): Promise<StoredKey | undefined> {
    return (await this.list()).find((k) => k.kid === kid);
  }

  /** A next key signs from now; refused sooner than 24 h after it was published unless forced. */
  async promote(kid: string, force: boolean): Promise<StoredKey> {
    const key = await this.find(kid);
    if (!key) throw new KeyNotFoundError(`no signing key ${kid}`);
    if (key.state !== 'next') throw new KeyRefusedError(`key ${kid} is ${key.state}: only a next key can be promoted`);
    const now = this.now();
    const remainingMs = key.createdAt + JWKS_CACHE_MS - now;
    if (remainingMs > 0 && !force) {
      throw new KeyRefusedError(`key ${kid} was published less than 24 h ago: verifiers caching the JWKS may not know it yet`, remainingMs);
    }
    await this.db.updateTable('signing_keys').set({ signing_from: now }).where('kid', '=', kid).execute();
    return (await this.find(kid))!;
  }

  /** Unpublishes a key: never the current signer, and a former signer only 24 h after it stopped signing. */
  async retire(kid: string): Promise<StoredKey> {
    const key = await this.find(kid);
    if (!key) throw new KeyNotFoundError(`no signing key ${kid}`);
    if (key.state === 'retired') throw new KeyRefusedError(`key ${kid} is already retired`);
    if (key.state === 'current') throw new KeyRefusedError(`key ${kid} is the current ${key.alg} signer: generate and promote its successor first`);
    const now = this.now();
    if (key.state === 'previous') {
      const remainingMs = key.stoppedSigningAt! + JWKS_CACHE_MS - now;
      if (remainingMs > 0) throw new KeyRefusedError(`key ${kid} stopped signing less than 24 h ago: tokens it signed may still be verified`, remainingMs);
    }
    await this.db.updateTable('signing_keys').set({ retired_at: now }).where('kid', '=', kid).execute();
    return (await this.find(kid))!;
  }
}
