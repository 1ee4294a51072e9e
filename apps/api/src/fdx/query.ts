import type { Request } from 'express';
import { badRequest, invalidDateRange } from '../errors.js';
import { DAY_MS, HISTORY_MONTHS, dayStart, historyStart } from '../dates.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 500;
/** Default transactions window when no dates are given: today and the 6 days before (spec example). */
export const DEFAULT_WINDOW_DAYS = 7;

/** One query value as a string; repeated parameters are ambiguous and refused. */
export function queryValue(req: Request, name: string): string | undefined {
  const value: unknown = (req.query as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badRequest(`"${name}" must be given once, as a plain value`);
  return value;
}

export function parseLimit(req: Request): number {
  const raw = queryValue(req, 'limit');
  if (raw === undefined) return DEFAULT_LIMIT;
  if (!/^\d{1,6}$/.test(raw)) throw badRequest(`"limit" must be an integer between 1 and ${MAX_LIMIT}`);
  const limit = Number(raw);
  if (limit < 1 || limit > MAX_LIMIT) throw badRequest(`"limit" must be an integer between 1 and ${MAX_LIMIT}`);
  return limit;
}

/** The cursor from `pageKey` or its deprecated alias `offset`. */
export function parseCursor(req: Request): string | undefined {
  const pageKey = queryValue(req, 'pageKey');
  const offset = queryValue(req, 'offset');
  if (pageKey !== undefined && offset !== undefined && pageKey !== offset) {
    throw badRequest('"pageKey" and "offset" disagree; send one of them');
  }
  const cursor = pageKey ?? offset;
  if (cursor === '') throw badRequest('The page cursor is empty');
  return cursor;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/** Epoch ms of a YYYY-MM-DD (start of that UTC day) or an RFC 3339 date-time, or undefined when malformed. */
function parseInstant(value: string, allowTime: boolean, endOfDay: boolean): number | undefined {
  const date = DATE.exec(value);
  if (date) {
    const [y, m, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const ms = Date.UTC(y, m - 1, d);
    const check = new Date(ms);
    if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) return undefined;
    return endOfDay ? ms + DAY_MS - 1 : ms;
  }
  if (allowTime && DATE_TIME.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

function pick(req: Request, timeName: string, dateName: string, endOfDay: boolean): number | undefined {
  const time = queryValue(req, timeName);
  const date = queryValue(req, dateName);
  if (time !== undefined && date !== undefined) throw invalidDateRange(`Send "${timeName}" or "${dateName}", not both`);
  const raw = time ?? date;
  if (raw === undefined) return undefined;
  const ms = parseInstant(raw, time !== undefined, endOfDay);
  if (ms === undefined) {
    throw invalidDateRange(`"${time !== undefined ? timeName : dateName}" must be a date (YYYY-MM-DD)${time !== undefined ? ' or an RFC 3339 date-time' : ''}`);
  }
  return ms;
}

export interface Range {
  from: number;
  to: number;
}

/**
 * startTime/endTime (or startDate/endDate), inclusive, both or neither; a date-only end
 * covers that whole day. Reversed, half-given, malformed or older-than-history → 703.
 */
export function parseRange(req: Request, now: number, defaultRange: (today: number) => Range): Range {
  const from = pick(req, 'startTime', 'startDate', false);
  const to = pick(req, 'endTime', 'endDate', true);
  const today = dayStart(now);
  if (from === undefined && to === undefined) return defaultRange(today);
  if (from === undefined || to === undefined) throw invalidDateRange('Send both a start and an end, or neither');
  if (from > to) throw invalidDateRange('The start is after the end');
  if (from < historyStart(today)) throw invalidDateRange(`The start is older than the ${HISTORY_MONTHS} months of history this provider supports`);
  return { from, to };
}

export const lastDays = (days: number) => (today: number): Range => ({ from: today - (days - 1) * DAY_MS, to: today + DAY_MS - 1 });
export const wholeHistory = (today: number): Range => ({ from: historyStart(today), to: today + DAY_MS - 1 });
