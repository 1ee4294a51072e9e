import type { Request, Response } from 'express';
import type { Account, CustomerData, Page as SourcePage } from '../data-source.js';
import { accountClosed, accountNotFound, accountRestricted, badRequest } from '../errors.js';
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

export function customerOf(res: Response): CustomerData {
  const data = (res.locals as { customer?: CustomerData }).customer;
  if (!data) throw new Error("the customer's data is set after token verification");
  return data;
}

const MAX_ID_LENGTH = 256;

/**
 * The token customer's account or 404/701, whether it is missing or someone else's.
 * Data endpoints refuse closed (409/705) and restricted (403/706) accounts.
 */
export async function findAccount(res: Response, accountId: string, options: { active: boolean }): Promise<Account> {
  if (accountId.length > MAX_ID_LENGTH) throw accountNotFound();
  const account = await customerOf(res).account(accountId);
  if (!account) throw accountNotFound();
  if (options.active && account.status === 'CLOSED') throw accountClosed();
  if (options.active && account.status === 'RESTRICTED') throw accountRestricted();
  return account;
}

export interface FdxPage<T> {
  items: T[];
  /** Present exactly when more items remain. */
  page?: { nextOffset: string; nextPageKey: string };
}

/** A source's page → the FDX list: items mapped, and the source's `next` signed into the client's cursor. */
export function toPage<R, T>(source: SourcePage<R>, map: (item: R) => T, cursorFor: (next: string) => string): FdxPage<T> {
  const items = source.items.map(map);
  if (source.next === undefined) return { items };
  const cursor = cursorFor(source.next);
  return { items, page: { nextOffset: cursor, nextPageKey: cursor } };
}

/** The source's page key inside a cursor issued for this resource (and account); undefined without a cursor. */
export function pageKeyOf(ctx: FdxContext, cursor: string | undefined, resource: string, accountId?: string): string | undefined {
  if (cursor === undefined) return undefined;
  const [key] = ctx.cursors.decode(cursor, resource, accountId).k;
  if (typeof key !== 'string') throw badRequest('The page cursor is invalid; use the nextOffset value from the previous page unchanged');
  return key;
}
