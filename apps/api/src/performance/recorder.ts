import type { Logger } from '@apps/shared';
import type { RequestHandler } from 'express';
import { PROPER, REQUESTS, addCounts, bucketIndex, emptyCounts, type Counts } from './buckets.js';
import { minuteOf } from './months.js';
import type { PerformanceStore } from './store.js';

/** A week of minutes (about 1 MB): what an instance keeps while its database cannot be reached. */
export const MAX_PENDING_MINUTES = 7 * 24 * 60;

const FOLD_INTERVAL_MS = 60 * 60 * 1000;

export interface PerformanceRecorderOptions {
  store: PerformanceStore;
  /** This instance's rows (INSTANCE_ID). */
  instanceId: string;
  /** A response slower than this is not proper (DISCLOSURE_RESPONSE_THRESHOLD_MS). */
  thresholdMs: number;
  /** How often the counts are written (DISCLOSURE_FLUSH_MS). */
  flushMs: number;
  logger: Logger;
  /** Wall clock: which minute a request belongs to (tests pin it). Latency is measured with performance.now(). */
  now?: () => number;
  /** Default MAX_PENDING_MINUTES. */
  maxPendingMinutes?: number;
}

/**
 * Counts this instance's FDX requests per minute in memory (a few array increments per request,
 * no I/O) and adds them to the database every `flushMs` in one transaction, off the request path.
 * A flush that fails keeps its counts for the next one, up to `maxPendingMinutes` minutes (the
 * oldest are dropped beyond, with a warning); `close()` flushes once more. Started by startServer,
 * which also folds finished months every hour.
 */
export class PerformanceRecorder {
  private readonly now: () => number;
  private readonly maxPendingMinutes: number;
  private pending = new Map<number, Counts>();
  /** The minute being counted and its counts: the common case skips the map lookup. */
  private minute = -1;
  private current: Counts | undefined;
  private flushing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private foldTimer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(private readonly options: PerformanceRecorderOptions) {
    this.now = options.now ?? Date.now;
    this.maxPendingMinutes = options.maxPendingMinutes ?? MAX_PENDING_MINUTES;
  }

  /** Mounted at the FDX base path, before anything else there: counts each request once its response is done. */
  middleware(): RequestHandler {
    return (_req, res, next) => {
      const at = this.now();
      const started = performance.now();
      // 'close' comes after 'finish', and also when the client went away before the response was sent.
      res.once('close', () => this.record(at, res.statusCode, performance.now() - started, res.writableFinished));
      next();
    };
  }

  /**
   * Counts one request made at `at` (epoch ms). Proper: its response was sent, is not a 5xx, and
   * took no longer than the threshold.
   */
  record(at: number, status: number, latencyMs: number, sent = true): void {
    const minute = minuteOf(at);
    let counts = this.current;
    if (minute !== this.minute || counts === undefined) {
      counts = this.countsOf(minute);
      this.minute = minute;
      this.current = counts;
    }
    counts[REQUESTS]!++;
    if (sent && status < 500 && latencyMs <= this.options.thresholdMs) counts[PROPER]!++;
    counts[bucketIndex(latencyMs)]!++;
    this.flushTimer ??= setInterval(() => void this.flush(), this.options.flushMs).unref();
  }

  /** Minutes counted and not yet written. */
  get pendingMinutes(): number {
    return this.pending.size;
  }

  /** Writes what is pending now (the timer, shutdown, tests); a failure keeps it for the next flush. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.current = undefined;
    this.minute = -1;
    this.flushing = this.options.store
      .add(this.options.instanceId, batch)
      .then(() => {
        if (this.failing) this.options.logger.info({ minutes: batch.size }, 'performance counts written again after a failure');
        this.failing = false;
      })
      .catch((err: unknown) => {
        for (const [minute, counts] of batch) addCounts(this.countsOf(minute), counts);
        this.dropOldest();
        // Once per outage, not once per flush.
        if (!this.failing) this.options.logger.warn({ err, pendingMinutes: this.pending.size }, 'could not write performance counts; keeping them and retrying');
        this.failing = true;
      })
      .finally(() => {
        this.flushing = undefined;
      });
    await this.flushing;
  }

  /** Folds finished months now and every hour after (each instance does; folding twice is harmless). */
  startFolding(): void {
    const fold = () =>
      void this.options.store
        .fold(this.now())
        .then((months) => {
          if (months.length > 0) this.options.logger.info({ months }, 'performance minutes folded into months');
        })
        .catch((err: unknown) => this.options.logger.warn({ err }, 'could not fold performance minutes into months; next try in an hour'));
    fold();
    this.foldTimer ??= setInterval(fold, FOLD_INTERVAL_MS).unref();
  }

  /** Stops the timers after a last flush; counts that still cannot be written are reported lost. */
  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    clearInterval(this.foldTimer);
    this.flushTimer = undefined;
    this.foldTimer = undefined;
    await this.flush();
    if (this.pending.size > 0) {
      const requests = [...this.pending.values()].reduce((n, c) => n + c[REQUESTS]!, 0);
      this.options.logger.error({ requests, minutes: this.pending.size }, 'performance counts not written at shutdown: lost');
    }
  }

  private countsOf(minute: number): Counts {
    let counts = this.pending.get(minute);
    if (counts === undefined) {
      counts = emptyCounts();
      this.pending.set(minute, counts);
    }
    return counts;
  }

  private dropOldest(): void {
    const excess = this.pending.size - this.maxPendingMinutes;
    if (excess <= 0) return;
    this.current = undefined;
    this.minute = -1;
    let requests = 0;
    for (const minute of [...this.pending.keys()].sort((a, b) => a - b).slice(0, excess)) {
      requests += this.pending.get(minute)![REQUESTS]!;
      this.pending.delete(minute);
    }
    this.options.logger.error({ minutes: excess, requests }, 'performance counts dropped: the database was unreachable for longer than the counts kept');
  }
}
