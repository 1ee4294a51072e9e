import type { Router } from 'express';
import { requireScope, Scope } from '../auth/bearer.js';
import { isoDate } from '../dates.js';
import { badRequest, statementNotFound } from '../errors.js';
import { customerOf, findAccount, pathParam, toPage, type FdxContext } from './context.js';
import { parseCursor, parseLimit, parseRange, wholeHistory } from './query.js';
import { statement } from './serialize.js';
import { renderStatementPdf } from './statement-pdf.js';

/** Statement lists (default: the whole history) and each statement as a PDF rendered on request. */
export function statementRoutes(router: Router, ctx: FdxContext, resourceMetadataUrl: string, institutionName: string): void {
  // The spec leaves statements unscoped; they are account data, so they need accounts:read.
  const scope = requireScope(Scope.account, resourceMetadataUrl);

  router.get('/accounts/:accountId/statements', scope, async (req, res) => {
    const account = await findAccount(res, pathParam(req, 'accountId'), { active: true });
    const limit = parseLimit(req);
    const cursor = parseCursor(req);
    const range = parseRange(req, ctx.now(), wholeHistory);
    const dates = { from: isoDate(range.from), to: isoDate(range.to) };
    let after: [string, string] | undefined;
    if (cursor !== undefined) {
      const [date, id] = ctx.cursors.decode(cursor, 'statements', account.id).k;
      if (typeof date !== 'string' || typeof id !== 'string') throw badRequest('The page cursor is invalid');
      after = [date, id];
    }
    const rows = await customerOf(res).listStatements(account, dates, after, limit);
    const base = `${ctx.baseUrl}/accounts/${encodeURIComponent(account.id)}/statements`;
    const { items, page } = toPage(
      rows,
      limit,
      (row) => statement(row, `${base}/${encodeURIComponent(row.id)}`),
      (last) => ctx.cursors.encode({ r: 'statements', a: account.id, k: [last.statement_date, last.id] }),
    );
    res.json({ ...(page ? { page } : {}), statements: items });
  });

  router.get('/accounts/:accountId/statements/:statementId', scope, async (req, res) => {
    const account = await findAccount(res, pathParam(req, 'accountId'), { active: true });
    const row = pathParam(req, 'statementId').length <= 256 ? await customerOf(res).findStatement(account, pathParam(req, 'statementId')) : undefined;
    if (!row) throw statementNotFound();
    const pdf = await renderStatementPdf(customerOf(res), account, row, institutionName);
    res
      .status(200)
      .type('application/pdf')
      .set('Content-Disposition', `inline; filename="${row.id}.pdf"`)
      .send(pdf);
  });
}
