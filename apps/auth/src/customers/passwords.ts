import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/** OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane. */
// algorithm 2 = Argon2id (a const enum in the typings, which isolated modules cannot import).
export const ARGON2_PARAMS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

const PARAMS_PREFIX = `$argon2id$v=19$m=${ARGON2_PARAMS.memoryCost},t=${ARGON2_PARAMS.timeCost},p=${ARGON2_PARAMS.parallelism}$`;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_PARAMS);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** True when the stored hash was made with other parameters than today's (so it gets rehashed on login). */
export function needsRehash(stored: string): boolean {
  return !stored.startsWith(PARAMS_PREFIX);
}

/** A hash of nothing anyone knows: unknown emails are verified against it so they cost the same time. */
export function makeDummyHash(): Promise<string> {
  return hashPassword(randomBytes(32).toString('base64url'));
}
