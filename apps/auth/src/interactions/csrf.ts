import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * CSRF tokens bound to one interaction: an HMAC of its uid under the cookie keys. The uid
 * itself is bound to the browser by oidc-provider's signed interaction cookie, so a
 * cross-site form can neither reuse another browser's interaction nor forge the token.
 */
export class CsrfTokens {
  constructor(private readonly keys: readonly string[]) {}

  issue(uid: string): string {
    return this.mac(this.keys[0] ?? '', uid);
  }

  verify(uid: string, token: unknown): boolean {
    if (typeof token !== 'string' || token.length === 0) return false;
    const given = Buffer.from(token);
    return this.keys.some((key) => {
      const expected = Buffer.from(this.mac(key, uid));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }

  private mac(key: string, uid: string): string {
    return createHmac('sha256', key).update(`csrf:${uid}`).digest('base64url');
  }
}
