import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * Private keys at rest: AES-256-GCM under a key derived from KEYS_ENCRYPTION_KEY (SHA-256 of
 * it), random 96-bit IV per value, the kid as associated data (a row's ciphertext cannot be
 * moved to another kid). Text form: `v1.<iv>.<tag>.<ciphertext>`, base64url.
 */
export class KeyCipher {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHash('sha256').update(secret, 'utf8').digest();
  }

  seal(plaintext: string, kid: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(kid, 'utf8'));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), sealed].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  /** Throws when the value was sealed under another key or altered. */
  open(text: string, kid: string): string {
    const [version, iv, tag, sealed] = text.split('.');
    if (version !== VERSION || !iv || !tag || sealed === undefined) throw new Error(`signing key ${kid}: not a sealed value`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(kid, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error(`signing key ${kid}: cannot decrypt (is KEYS_ENCRYPTION_KEY the one it was stored with?)`);
    }
  }
}
