import { LATENCY_BOUNDS_MS, PERCENTILES, PROPER, REQUESTS, bucketsOf, percentileMs, type Counts, type Percentile } from './buckets.js';
import { monthsUpTo } from './months.js';
import type { PerformanceStore } from './store.js';

/** Full months listed before the current one (rolling 13 months, as § 1033.341(d) is shaped). */
export const FULL_MONTHS = 13;

export interface MonthPerformance {
  /** `YYYY-MM`, a UTC calendar month. */
  month: string;
  /** The current month, still counting. */
  partial: boolean;
  requests: number;
  properResponses: number;
  /** properResponses / requests in percent, rounded down to 0.01 (never shown better than it was); null without traffic. */
  properResponsePercent: number | null;
  /** Upper bound (ms) of the latency bucket holding each percentile; null without traffic or beyond the last bound. */
  latencyMs: Record<`p${Percentile}`, number | null>;
  /** Responses per latency bucket (bounds in `latencyBucketBoundsMs`, the last one unbounded). */
  latencyBuckets: number[];
}

/** What `/performance.json`, the page and `pnpm kit performance report` show. */
export interface PerformanceReport {
  generatedAt: string;
  definition: {
    requests: string;
    properResponse: string;
    responseThresholdMs: number;
    latency: string;
    months: string;
  };
  latencyBucketBoundsMs: number[];
  /** Newest first: the current (partial) month, then the 13 full months before it. */
  months: MonthPerformance[];
}

/** Percent rounded down to 0.01. */
function percentDown(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.floor((part / whole) * 10_000) / 100;
}

function monthPerformance(month: string, partial: boolean, counts: Counts): MonthPerformance {
  const requests = counts[REQUESTS]!;
  return {
    month,
    partial,
    requests,
    properResponses: counts[PROPER]!,
    properResponsePercent: percentDown(counts[PROPER]!, requests),
    latencyMs: Object.fromEntries(PERCENTILES.map((p) => [`p${p}`, percentileMs(counts, p)])) as MonthPerformance['latencyMs'],
    latencyBuckets: bucketsOf(counts),
  };
}

/** The disclosure as of `now`: every API instance's counts, by month. */
export async function performanceReport(store: PerformanceStore, now: number, thresholdMs: number): Promise<PerformanceReport> {
  const months = monthsUpTo(now, FULL_MONTHS + 1);
  const counts = await store.countsFor(months);
  return {
    generatedAt: new Date(now).toISOString(),
    definition: {
      requests: 'every request to the FDX API (/api/fdx/v6), counted by every API instance',
      properResponse: `a response that is not a 5xx (server error), was sent before the connection closed, and took no longer than ${thresholdMs} ms`,
      responseThresholdMs: thresholdMs,
      latency: 'time in the API from the request reaching it to the response sent; percentiles are stated as the upper bound of the latency bucket they fall in',
      months: 'UTC calendar months',
    },
    latencyBucketBoundsMs: [...LATENCY_BOUNDS_MS],
    months: months.map((m, i) => monthPerformance(m.month, i === months.length - 1, counts.get(m.month)!)).reverse(),
  };
}

/** A percentile for people: `≤ 20 ms`, `> 10000 ms` beyond the last bound, `–` without traffic. */
export function latencyText(ms: number | null, requests: number): string {
  if (requests === 0) return '–';
  return ms === null ? `> ${LATENCY_BOUNDS_MS.at(-1)} ms` : `≤ ${ms} ms`;
}

export function percentText(percent: number | null): string {
  return percent === null ? '–' : `${percent.toFixed(2)} %`;
}
