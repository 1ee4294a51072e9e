import type { AuthConfig } from '../config.js';
import { normalizeEmail } from '../accounts/users.js';
import { AccountLocked, RateLimited } from '../errors.js';
import type { RateLimiter } from './rate-limiter.js';

/**
 * Login throttling, all in the shared database: attempts per IP and per account (rate limit),
 * and failed attempts per account (lockout). Keys use the normalized email whether or not the
 * account exists, so neither reveals which emails are registered.
 */
export class LoginGuard {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly config: Pick<AuthConfig, 'lockout' | 'rateLimits'>,
  ) {}

  /** Counts one attempt; throws RateLimited or AccountLocked when it must not proceed. */
  async admit(ip: string, email: string): Promise<void> {
    const { windowSeconds, loginPerIp, loginPerAccount } = this.config.rateLimits;
    const account = normalizeEmail(email);
    const lock = await this.limiter.peek(this.failureKey(account));
    if (lock && lock.count >= this.config.lockout.threshold) throw new AccountLocked(this.limiter.retryAfterSeconds(lock));
    const byIp = await this.limiter.hit(`login:ip:${ip}`, windowSeconds);
    if (byIp.count > loginPerIp) throw new RateLimited(this.limiter.retryAfterSeconds(byIp));
    const byAccount = await this.limiter.hit(`login:account:${account}`, windowSeconds);
    if (byAccount.count > loginPerAccount) throw new RateLimited(this.limiter.retryAfterSeconds(byAccount));
  }

  /** Records a failed password; returns true when this failure locked the account. */
  async failed(email: string): Promise<boolean> {
    const hit = await this.limiter.hit(this.failureKey(normalizeEmail(email)), this.config.lockout.windowSeconds);
    return hit.count === this.config.lockout.threshold;
  }

  async succeeded(email: string): Promise<void> {
    await this.limiter.reset(this.failureKey(normalizeEmail(email)));
  }

  private failureKey(account: string): string {
    return `login:failures:${account}`;
  }
}
