import type { ChildProcess } from 'node:child_process';
import { OAuthClient } from '@kit/harness/oauth';
import { cpuPer } from './auth-token.js';

export interface LoginResult {
  logins: number;
  perSecond: number;
  /** The OP's CPU ms per sign-in (all threads: argon2 hashes on libuv's pool). */
  cpuMs: number | undefined;
}

/**
 * Sign-ins as a new browser makes them, `concurrency` at a time for `seconds`: the authorization
 * request, the login page, the password (argon2id verification), the consent page and the
 * redirect with a code (its exchange is measured apart). Each on a fresh cookie jar, so none
 * rides on an earlier session.
 */
export async function measureLogins(child: ChildProcess, issuer: string, seconds: number, concurrency: number): Promise<LoginResult> {
  const signIn = async () => {
    const { code, error } = await new OAuthClient(issuer).authorize({ prompt: 'consent' });
    if (!code) throw new Error(`sign-in failed: ${error}`);
  };
  for (let i = 0; i < concurrency; i++) await signIn(); // warm-up, not counted
  let perSecond = 0;
  const { operations, cpuMs } = await cpuPer(child, async () => {
    let done = 0;
    const started = performance.now();
    const end = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          await signIn();
          done++;
        }
      }),
    );
    perSecond = done / ((performance.now() - started) / 1000);
    return done;
  });
  return { logins: operations, perSecond, cpuMs };
}
