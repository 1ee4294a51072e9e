import { usageError } from '@apps/shared';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `90d`, `24h`, `30m`, `45s`, `2w` → milliseconds; anything else is a usage error naming the option. */
export function parseDuration(value: string, option: string): number {
  const match = /^(\d+)([smhdw])$/.exec(value.trim());
  if (!match) throw usageError(`--${option}: expected a duration like 24h, 7d or 90d, got ${JSON.stringify(value)}`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** An ISO date/time, or a duration meaning that long ago (`24h` = 24 hours before now) → epoch ms. */
export function parseWhen(value: string, option: string, now = Date.now()): number {
  if (/^\d+[smhdw]$/.test(value.trim())) return now - parseDuration(value, option);
  const at = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(at)) throw usageError(`--${option}: expected an ISO date (2026-12-01, 2026-12-01T08:00:00Z) or a duration like 24h, got ${JSON.stringify(value)}`);
  return at;
}
