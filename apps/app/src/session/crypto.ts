import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface Unsealed {
  plaintext: string;
  /** Sealed with an older secret than the newest: the caller should seal it again. */
  stale: boolean;
}

/**
 * AES-256-GCM for session data at rest. Each key is derived from one COOKIE_SECRET entry with
 * HKDF (a distinct purpose, so the cookie-signing secret is never used as a cipher key directly).
 * The newest (first) key seals; every key opens, so the secret can rotate without logging anyone
 * out. The session's id hash is bound as additional data, so a row copied onto another session's
 * id does not decrypt.
 */
export class SessionCipher {
  readonly #keys: readonly Buffer[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('SessionCipher needs at least one secret');
    this.#keys = secrets.map((secret) => Buffer.from(hkdfSync('sha256', secret, 'apps/app', 'session-data-at-rest-v1', 32)));
  }

  encrypt(plaintext: string, boundTo: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#keys[0]!, iv);
    cipher.setAAD(Buffer.from(boundTo));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** Throws when the data was tampered with, bound to another id or sealed with none of the keys. */
  decrypt(sealed: string, boundTo: string): Unsealed {
    const raw = Buffer.from(sealed, 'base64');
    let lastError: unknown;
    for (const [index, key] of this.#keys.entries()) {
      try {
        return { plaintext: open(raw, key, boundTo), stale: index > 0 };
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }
}

function open(raw: Buffer, key: Buffer, boundTo: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(boundTo));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
}

/** The database stores only a hash of the session id: a leaked table cannot be replayed as cookies. */
export function hashSessionId(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}
