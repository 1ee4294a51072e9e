/** Calendar months in UTC: the disclosure's periods. Times are epoch milliseconds. */

/** `YYYY-MM` of the month containing `at`. */
export function monthOf(at: number): string {
  return new Date(at).toISOString().slice(0, 7);
}

/** Start of the month containing `at`. */
export function monthStart(at: number): number {
  const d = new Date(at);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Start of the month `offset` months after the one containing `at` (negative: before). */
export function monthStartOffset(at: number, offset: number): number {
  const d = new Date(at);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1);
}

export interface MonthRange {
  /** `YYYY-MM` */
  month: string;
  start: number;
  /** Exclusive. */
  end: number;
}

/** The `count` months ending with the one containing `at`, oldest first. */
export function monthsUpTo(at: number, count: number): MonthRange[] {
  const months: MonthRange[] = [];
  for (let offset = 1 - count; offset <= 0; offset++) {
    const start = monthStartOffset(at, offset);
    months.push({ month: monthOf(start), start, end: monthStartOffset(at, offset + 1) });
  }
  return months;
}

/** Start of the minute containing `at`. */
export function minuteOf(at: number): number {
  return at - (at % 60_000);
}
