import type { RateCounter } from '@apps/shared';
import type { Response } from 'express';
import type { AuditEvent, AuditLog } from '../audit/audit.js';

/**
 * Answers 429 with Retry-After (an OAuth error body) and audits it once per key and window,
 * not once per rejected request: a flood must not become writes.
 */
export class TooManyRequests {
  private auditedWindow = 0;
  private readonly audited = new Set<string>();

  constructor(
    private readonly counter: RateCounter,
    private readonly audit: AuditLog,
  ) {}

  reject(res: Response, key: string, at: number, event: Omit<AuditEvent, 'type'>): void {
    this.exceeded(key, at, event);
    res
      .status(429)
      .set('Retry-After', String(this.counter.retryAfterSeconds(at)))
      .set('Cache-Control', 'no-store')
      .json({ error: 'temporarily_unavailable', error_description: 'too many requests, retry later' });
  }

  /**
   * Audits a refusal of `key` unless one was audited in this window; returns the Retry-After
   * seconds. The set of audited keys is emptied every window, so it holds at most the keys
   * refused in one window.
   */
  exceeded(key: string, at: number, event: Omit<AuditEvent, 'type'>): number {
    const window = this.counter.windowOf(at);
    if (this.auditedWindow !== window) {
      this.auditedWindow = window;
      this.audited.clear();
    }
    if (!this.audited.has(key)) {
      this.audited.add(key);
      void this.audit.record({ type: 'rate_limit.exceeded', ...event });
    }
    return this.counter.retryAfterSeconds(at);
  }
}
