import { generateSigningKey } from '../../src/keys/jwks.js';

/** Every setting production insists on, with non-development values; tests drop or change one. */
export function productionEnv(): Record<string, string> {
  return {
    NODE_ENV: 'production',
    COOKIE_SECRET: 'a'.repeat(40),
    CLIENT_SECRET: 'x'.repeat(40),
    REGISTRATION_INITIAL_ACCESS_TOKEN: 'y'.repeat(40),
    TOKEN_HASH_KEY: 'z'.repeat(40),
    INTERNAL_SECRET: 'i'.repeat(40),
    JWKS: JSON.stringify({ keys: [generateSigningKey()] }),
  };
}
