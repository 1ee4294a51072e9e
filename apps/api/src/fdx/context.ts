import type { Request, Response } from 'express';
import type { CustomerRepository, OwnedAccount } from '../db/repository.js';
import { accountClosed, accountNotFound, accountRestricted } from '../errors.js';
import type { CursorCodec } from './cursor.js';

export interface FdxContext {
  cursors: CursorCodec;
  /** Public base URL of the FDX API (for HATEOAS links). */
  baseUrl: string;
  now: () => number;
}

/** A path parameter as a string (Express decodes it; a missing one is a routing bug). */
export function pathParam(req: Request, name: string): string {
  const value: unknown = (req.params as Record<string, unknown>)[name];
  if (typeof value !== 'string') throw new Error(`missing path parameter ${name}`);
  return value;
}

export function customerOf(res: Response): CustomerRepository {
  const repo = (res.locals as { customer?: CustomerRepository }).customer;
  if (!repo) throw new Error('the customer repository is set after token verification');
  return repo;
}

const MAX_ID_LENGTH = 256;

/**
 * The token customer's account or 404/701, whether it is missing or someone else's.
 * Data endpoints refuse closed (409/705) and restricted (403/706) accounts.
 */
export async function findAccount(res: Response, accountId: string, options: { active: boolean }): Promise<OwnedAccount> {
  if (accountId.length > MAX_ID_LENGTH) throw accountNotFound();
  const account = await customerOf(res).findAccount(accountId);
  if (!account) throw accountNotFound();
  if (options.active && account.status === 'CLOSED') throw accountClosed();
  if (options.active && account.status === 'RESTRICTED') throw accountRestricted();
  return account;
}

export interface Page<T> {
  items: T[];
  /** Present exactly when more items remain. */
  page?: { nextOffset: string; nextPageKey: string };
}

/** Lists fetch limit + 1 rows; the extra row only says that another page exists. */
export function toPage<R, T>(rows: R[], limit: number, map: (row: R) => T, cursorAfter: (last: R) => string): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const items = kept.map(map);
  if (!more) return { items };
  const cursor = cursorAfter(kept[kept.length - 1]!);
  return { items, page: { nextOffset: cursor, nextPageKey: cursor } };
}
