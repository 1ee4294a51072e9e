import type { Router } from 'express';
import { requireScope, Scope } from '../auth/bearer.js';
import { invalidDateRange } from '../errors.js';
import { customerOf, findAccount, pathParam, toPage, type FdxContext } from './context.js';
import { DEFAULT_WINDOW_DAYS, lastDays, parseCursor, parseLimit, parseRange, queryValue } from './query.js';
import { transaction } from './serialize.js';

const DATE_PARAMS = ['startTime', 'endTime', 'startDate', 'endDate'];

/** /accounts/{id}/transactions: newest first, filtered on the posted time, keyset-paginated. */
export function transactionRoutes(router: Router, ctx: FdxContext, resourceMetadataUrl: string): void {
  router.get('/accounts/:accountId/transactions', requireScope(Scope.transactions, resourceMetadataUrl), async (req, res) => {
    const account = await findAccount(res, pathParam(req, 'accountId'), { active: true });
    const limit = parseLimit(req);
    const cursor = parseCursor(req);
    let range = parseRange(req, ctx.now(), lastDays(DEFAULT_WINDOW_DAYS));
    let after: string | undefined;
    if (cursor !== undefined) {
      const payload = ctx.cursors.decode(cursor, 'transactions', account.id);
      const [key] = payload.k;
      if (typeof key !== 'string' || !payload.f) throw invalidDateRange('The page cursor is invalid');
      const given = DATE_PARAMS.some((name) => queryValue(req, name) !== undefined);
      // A cursor belongs to the range it was issued for: repeat the same range or none.
      if (given && (range.from !== payload.f[0] || range.to !== payload.f[1])) {
        throw invalidDateRange('The date range differs from the one the page cursor was issued for');
      }
      range = { from: payload.f[0], to: payload.f[1] };
      after = key;
    }
    const source = await customerOf(res).transactions(account, range, { after, limit });
    const { items, page } = toPage(
      source,
      (t) => transaction(t, account.category),
      (next) => ctx.cursors.encode({ r: 'transactions', a: account.id, k: [next], f: [range.from, range.to] }),
    );
    res.json({ ...(page ? { page } : {}), transactions: items });
  });
}
