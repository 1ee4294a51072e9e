import type { Router } from 'express';
import { requireScope, Scope } from '../auth/bearer.js';
import { isoDate } from '../dates.js';
import { statementNotFound } from '../errors.js';
import { customerOf, findAccount, pageKeyOf, pathParam, toPage, type FdxContext } from './context.js';
import { parseCursor, parseLimit, parseRange, wholeHistory } from './query.js';
import { statement } from './serialize.js';

const MAX_ID_LENGTH = 256;

/** Statement lists (default: the whole history) and each statement's document (a PDF). */
export function statementRoutes(router: Router, ctx: FdxContext, resourceMetadataUrl: string): void {
  // The spec leaves statements unscoped; they are account data, so they need accounts:read.
  const scope = requireScope(Scope.account, resourceMetadataUrl);

  router.get('/accounts/:accountId/statements', scope, async (req, res) => {
    const account = await findAccount(res, pathParam(req, 'accountId'), { active: true });
    const limit = parseLimit(req);
    const after = pageKeyOf(ctx, parseCursor(req), 'statements', account.id);
    const range = parseRange(req, ctx.now(), wholeHistory);
    const source = await customerOf(res).statements(account, { from: isoDate(range.from), to: isoDate(range.to) }, { after, limit });
    const base = `${ctx.baseUrl}/accounts/${encodeURIComponent(account.id)}/statements`;
    const { items, page } = toPage(
      source,
      (s) => statement(account.id, s, `${base}/${encodeURIComponent(s.id)}`),
      (next) => ctx.cursors.encode({ r: 'statements', a: account.id, k: [next] }),
    );
    res.json({ ...(page ? { page } : {}), statements: items });
  });

  router.get('/accounts/:accountId/statements/:statementId', scope, async (req, res) => {
    const account = await findAccount(res, pathParam(req, 'accountId'), { active: true });
    const statementId = pathParam(req, 'statementId');
    const data = customerOf(res);
    const found = statementId.length <= MAX_ID_LENGTH ? await data.statement(account, statementId) : undefined;
    if (!found) throw statementNotFound();
    const document = await data.statementDocument(account, found);
    res
      .status(200)
      .type(document.contentType)
      .set('Content-Disposition', `inline; filename="${found.id.replace(/[^\w.-]/g, '_')}.pdf"`)
      .send(Buffer.from(document.content.buffer, document.content.byteOffset, document.content.byteLength));
  });
}
