import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for session data at rest. The key is derived from COOKIE_SECRET with HKDF
 * (a distinct purpose, so the cookie-signing secret is never used as a cipher key directly),
 * and the session's id hash is bound as additional data, so a row copied onto another
 * session's id does not decrypt.
 */
export class SessionCipher {
  readonly #key: Buffer;

  constructor(secret: string) {
    this.#key = Buffer.from(hkdfSync('sha256', secret, 'apps/app', 'session-data-at-rest-v1', 32));
  }

  encrypt(plaintext: string, boundTo: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(boundTo));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** Throws when the data was tampered with, bound to another id or sealed with another key. */
  decrypt(sealed: string, boundTo: string): string {
    const raw = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(boundTo));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}

/** The database stores only a hash of the session id: a leaked table cannot be replayed as cookies. */
export function hashSessionId(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}
