/** Day arithmetic in UTC and the history window, shared by the FDX routes and the demo data. */
export const DAY_MS = 86_400_000;

/** How far back the API lets clients ask (and how far back the demo data goes). */
export const HISTORY_MONTHS = 24;

/** UTC midnight of the day containing `ms`. */
export const dayStart = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

/** YYYY-MM-DD of the UTC day containing `ms`. */
export const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The earliest day the API serves: today minus HISTORY_MONTHS calendar months. */
export function historyStart(today: number): number {
  const d = new Date(today);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - HISTORY_MONTHS, d.getUTCDate());
}
