/**
 * The fixed latency buckets of the performance disclosure: upper bounds in milliseconds (a
 * 1-2-5 series, plus 3,500 ms, the default response-time threshold), each bucket counting the
 * responses slower than the bound before it and no slower than its own; one more bucket counts
 * everything slower than the last bound. A percentile is reported as the upper bound of the
 * bucket it falls in ("p99 ≤ 200 ms"): that is its resolution. Changing the bounds needs a
 * migration (they are the columns of performance_minute and performance_month).
 */
export const LATENCY_BOUNDS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 3500, 5000, 10_000] as const;

/** One column per bucket: `le_<bound>` and `le_inf` for the overflow. */
export const BUCKET_COLUMNS = [...LATENCY_BOUNDS_MS.map((b) => `le_${b}` as const), 'le_inf'] as const;
export type BucketColumn = (typeof BUCKET_COLUMNS)[number];

export const BUCKET_COUNT = BUCKET_COLUMNS.length;

/** The percentiles the disclosure states. */
export const PERCENTILES = [50, 90, 99] as const;
export type Percentile = (typeof PERCENTILES)[number];

/**
 * Counts for one period: [requests, proper, bucket 0, …, overflow]. A plain number array, so
 * adding two periods (instances, minutes, months) is element by element.
 */
export type Counts = number[];

export const REQUESTS = 0;
export const PROPER = 1;
const FIRST_BUCKET = 2;

export function emptyCounts(): Counts {
  return new Array<number>(FIRST_BUCKET + BUCKET_COUNT).fill(0);
}

/** Index into Counts of the bucket a latency falls in (14 comparisons at most: constant time). */
export function bucketIndex(latencyMs: number): number {
  let i = 0;
  while (i < LATENCY_BOUNDS_MS.length && latencyMs > LATENCY_BOUNDS_MS[i]!) i++;
  return FIRST_BUCKET + i;
}

/** Adds `from` into `into` (same shape); returns `into`. */
export function addCounts(into: Counts, from: Counts): Counts {
  for (let i = 0; i < into.length; i++) into[i]! += from[i]!;
  return into;
}

/** The bucket counts alone, in bound order (overflow last). */
export function bucketsOf(counts: Counts): number[] {
  return counts.slice(FIRST_BUCKET);
}

/**
 * The `p`th percentile's bucket upper bound in ms: the smallest bound at or below which at least
 * p % of the responses fell (nearest rank). Null when nothing was counted, or when it falls in the
 * overflow bucket (slower than the last bound: no upper bound to state).
 */
export function percentileMs(counts: Counts, p: number): number | null {
  const total = bucketsOf(counts).reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (let i = 0; i < LATENCY_BOUNDS_MS.length; i++) {
    seen += counts[FIRST_BUCKET + i]!;
    if (seen >= rank) return LATENCY_BOUNDS_MS[i]!;
  }
  return null;
}
