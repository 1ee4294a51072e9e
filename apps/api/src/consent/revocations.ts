import type { Logger } from '@apps/shared';
import { z } from 'zod';
import { OpUnavailableError, type OpClient } from './op-client.js';

/** CONSENT-CONTRACT §3: one page of the OP's consent change feed. */
const feedPage = z.object({
  changes: z.array(
    z.object({
      seq: z.number().int().nonnegative(),
      consentId: z.string().min(1).max(256),
      status: z.enum(['REVOKED', 'EXPIRED']),
      at: z.iso.datetime({ offset: true }),
    }),
  ),
  next: z.number().int().nonnegative(),
});

export const FEED_PATH = '/internal/v1/consents/changes';
/** The contract's page size cap; a full page means more may be waiting, so the poll reads on. */
const PAGE_LIMIT = 1000;
/** Backoff while the OP is down: doubles from the poll interval up to this. */
const MAX_BACKOFF_MS = 30_000;

export interface ConsentRevocationsOptions {
  op: OpClient;
  /** CONSENT_FEED_INTERVAL_MS. */
  intervalMs: number;
  /** How long an ended consent is remembered: the longest access-token lifetime + clock tolerance. */
  retentionMs: number;
  logger: Logger;
  now?: () => number;
  /** Sees the outcome of every poll (the API's metrics count them). */
  onPoll?: (outcome: 'ok' | 'error') => void;
}

/** What the request path asks: has this consent ended? A Set lookup, no I/O. */
export interface EndedConsents {
  /** False until the feed has been read once; tokens naming a consent cannot be checked before that. */
  readonly loaded: boolean;
  has(consentId: string): boolean;
}

/**
 * The ended consents this instance knows of, kept current by polling the OP's change feed every
 * `intervalMs` (no call to the OP per request). The first read takes the OP's still-relevant
 * changes; later reads ask only for what follows the last `next`. While the OP is down the set
 * is kept, polls back off (up to 30 s) and the outage is logged once, when it starts and when it
 * ends. Consents that ended longer ago than `retentionMs` are dropped: every token of theirs has
 * expired by then.
 */
export class ConsentRevocations implements EndedConsents {
  private readonly ended = new Set<string>();
  /** In feed order (seq), so roughly by time: pruning pops from the front. */
  private readonly byTime: Array<{ consentId: string; at: number }> = [];
  private after: number | undefined;
  /** The feed has been read to its end at least once. */
  private caughtUp = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private failures = 0;
  private outageSince: number | undefined;
  private readAt: number | undefined;
  private readonly startedAt: number;
  private readonly now: () => number;
  private readonly firstLoad: { promise: Promise<void>; resolve: () => void };

  constructor(private readonly options: ConsentRevocationsOptions) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.firstLoad = { promise, resolve };
  }

  get loaded(): boolean {
    return this.caughtUp;
  }

  get size(): number {
    return this.ended.size;
  }

  has(consentId: string): boolean {
    return this.ended.has(consentId);
  }

  /**
   * Milliseconds since the state this instance holds was current: since the start of the last poll
   * that read the feed to its end (since this set was created, until one has). Revocations made at
   * the OP after that moment are not known here yet.
   */
  stateAgeMs(): number {
    return this.now() - (this.readAt ?? this.startedAt);
  }

  /** Resolves once the feed has been read once (it may never, while the OP is down). */
  whenLoaded(): Promise<void> {
    return this.firstLoad.promise;
  }

  /** Reads the feed now, then every interval until `close()`. */
  start(): void {
    if (this.timer || this.running || this.closed) return;
    this.schedule(0);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One poll: every page the feed has after the last `next`. Throws OpUnavailableError when the OP cannot answer. */
  async poll(): Promise<void> {
    const started = this.now();
    for (;;) {
      const query: Record<string, string> = { limit: String(PAGE_LIMIT) };
      if (this.after !== undefined) query.after = String(this.after);
      const res = await this.options.op.request('GET', FEED_PATH, { query });
      const page = res.status === 200 ? feedPage.safeParse(res.body) : undefined;
      if (!page?.success) throw new OpUnavailableError(`the consent feed answered ${res.status} with a body this API cannot read`);
      for (const change of page.data.changes) this.add(change.consentId, Date.parse(change.at));
      this.after = Math.max(page.data.next, this.after ?? 0);
      if (page.data.changes.length < PAGE_LIMIT) break;
    }
    this.prune();
    this.readAt = started;
    if (!this.caughtUp) {
      this.caughtUp = true;
      this.firstLoad.resolve();
    }
  }

  private add(consentId: string, at: number): void {
    if (this.ended.has(consentId)) return;
    this.ended.add(consentId);
    this.byTime.push({ consentId, at });
  }

  private prune(): void {
    const cutoff = this.now() - this.options.retentionMs;
    let drop = 0;
    while (drop < this.byTime.length && this.byTime[drop]!.at < cutoff) this.ended.delete(this.byTime[drop++]!.consentId);
    if (drop > 0) this.byTime.splice(0, drop);
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.tick().finally(() => {
        this.running = undefined;
        if (!this.closed) this.schedule(this.nextDelay());
      });
    }, delayMs);
    // Polling never keeps the process alive on its own.
    this.timer.unref();
  }

  private nextDelay(): number {
    const { intervalMs } = this.options;
    return this.failures === 0 ? intervalMs : Math.min(intervalMs * 2 ** Math.min(this.failures, 16), Math.max(MAX_BACKOFF_MS, intervalMs));
  }

  private async tick(): Promise<void> {
    try {
      await this.poll();
      if (this.outageSince !== undefined) {
        this.options.logger.info(
          { outageMs: this.now() - this.outageSince, endedConsents: this.ended.size },
          'the consent feed is reachable again; revocations made meanwhile now apply',
        );
      }
      this.failures = 0;
      this.outageSince = undefined;
      this.options.onPoll?.('ok');
    } catch (err) {
      this.failures++;
      this.options.onPoll?.('error');
      if (this.outageSince === undefined) {
        this.outageSince = this.now();
        this.options.logger.warn(
          { err, endedConsents: this.ended.size, loaded: this.loaded },
          'the consent feed is unavailable: keeping the ended consents known so far and retrying with backoff',
        );
      }
    }
  }
}
