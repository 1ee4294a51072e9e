import { createRateCounter, type Logger, type RateCounter } from '@apps/shared';
import type { Kysely } from 'kysely';
import type { AuthConfig } from '../config.js';
import { normalizeEmail } from '../customers/store.js';
import type { AuthSchema } from '../db/schema.js';
import { AccountLocked, RateLimited } from '../errors.js';

/** What admit() let through: one password verification, already counted against the lockout. */
export interface LoginAttempt {
  /** Whether this attempt, if its password is wrong, is the one that locks the account. */
  locksOnFailure: boolean;
}

/**
 * Login throttling, all in the shared database and always exact (one upsert per attempt):
 * attempts per IP and per account (rate limit, table login_rate_limit), and password
 * verifications per account (lockout, table login_lockout). Reserve, then verify: an attempt
 * takes its place in the lockout count atomically before its password is checked, and a
 * success clears the count, so parallel guesses can never get more than the threshold of
 * verifications. Keys use the normalized email whether or not the account exists, so neither
 * reveals which emails are registered.
 */
export class LoginGuard {
  private readonly attempts: RateCounter;
  private readonly failures: RateCounter;

  constructor(
    db: Kysely<AuthSchema>,
    private readonly config: Pick<AuthConfig, 'lockout' | 'rateLimits'>,
    logger: Logger,
  ) {
    this.attempts = createRateCounter(db, { table: 'login_rate_limit', windowMs: config.rateLimits.windowSeconds * 1000, syncMs: 0, logger });
    this.failures = createRateCounter(db, { table: 'login_lockout', windowMs: config.lockout.windowSeconds * 1000, syncMs: 0, logger });
  }

  /**
   * Counts one attempt and reserves its password verification; throws RateLimited or
   * AccountLocked (nothing reserved) when it must not proceed.
   */
  async admit(ip: string, email: string): Promise<LoginAttempt> {
    const { loginPerIp, loginPerAccount } = this.config.rateLimits;
    const { threshold } = this.config.lockout;
    const account = normalizeEmail(email);
    const at = Date.now();
    if ((await this.hit(this.attempts, `login:ip:${ip}`, at)) > loginPerIp) throw new RateLimited(this.attempts.retryAfterSeconds(at));
    if ((await this.hit(this.attempts, `login:account:${account}`, at)) > loginPerAccount) {
      throw new RateLimited(this.attempts.retryAfterSeconds(at));
    }
    const verifications = await this.failures.reserve(this.failureKey(account), threshold, at);
    if (verifications === undefined) throw new AccountLocked(this.failures.retryAfterSeconds(at));
    return { locksOnFailure: verifications === threshold };
  }

  /** The password was right: the reserved attempts of this email no longer count. */
  async succeeded(email: string): Promise<void> {
    await this.failures.reset(this.failureKey(normalizeEmail(email)));
  }

  /** Whether failed passwords lock this email now (a customer's `locked` status). */
  async isLocked(email: string): Promise<boolean> {
    return (await this.failures.peek(this.failureKey(normalizeEmail(email)), Date.now())) >= this.config.lockout.threshold;
  }

  /** Lifts a lockout (`pnpm kit customers unlock`): forgets the email's failed attempts. */
  async unlock(email: string): Promise<void> {
    await this.failures.reset(this.failureKey(normalizeEmail(email)));
  }

  private async hit(counter: RateCounter, key: string, at: number): Promise<number> {
    return (await counter.hit([key], at)).get(key) ?? 0;
  }

  private failureKey(account: string): string {
    return `login:failures:${account}`;
  }
}
