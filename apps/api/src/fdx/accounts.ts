import type { Router } from 'express';
import { requireScope, Scope } from '../auth/bearer.js';
import { customerOf, findAccount, pageKeyOf, pathParam, toPage, type FdxContext } from './context.js';
import { parseCursor, parseLimit } from './query.js';
import { accountDescriptor, accountWithDetails, assetTransferNetwork, paymentNetwork } from './serialize.js';

/** /accounts, /accounts/{id}, and the account's contact, payment and asset transfer networks. */
export function accountRoutes(router: Router, ctx: FdxContext, resourceMetadataUrl: string): void {
  const accountScope = requireScope(Scope.account, resourceMetadataUrl);
  const customerScope = requireScope(Scope.customer, resourceMetadataUrl);

  router.get('/accounts', accountScope, async (req, res) => {
    const limit = parseLimit(req);
    const after = pageKeyOf(ctx, parseCursor(req), 'accounts');
    const source = await customerOf(res).accounts({ after, limit });
    const { items, page } = toPage(source, accountDescriptor, (next) => ctx.cursors.encode({ r: 'accounts', k: [next] }));
    res.json({ ...(page ? { page } : {}), accounts: items });
  });

  router.get('/accounts/:accountId', accountScope, async (req, res) => {
    const account = await findAccount(res, pathParam(req, 'accountId'), { active: false });
    res.json(accountWithDetails(account));
  });

  router.get('/accounts/:accountId/contact', customerScope, async (req, res) => {
    const account = await findAccount(res, pathParam(req, 'accountId'), { active: true });
    res.json(await customerOf(res).contact(account));
  });

  router.get('/accounts/:accountId/payment-networks', accountScope, async (req, res) => {
    const account = await findAccount(res, pathParam(req, 'accountId'), { active: true });
    const limit = parseLimit(req);
    const after = pageKeyOf(ctx, parseCursor(req), 'payment-networks', account.id);
    const source = await customerOf(res).paymentNetworks(account, { after, limit });
    const { items, page } = toPage(source, paymentNetwork, (next) => ctx.cursors.encode({ r: 'payment-networks', a: account.id, k: [next] }));
    res.json({ ...(page ? { page } : {}), paymentNetworks: items });
  });

  router.get('/accounts/:accountId/asset-transfer-networks', accountScope, async (req, res) => {
    const account = await findAccount(res, pathParam(req, 'accountId'), { active: true });
    const limit = parseLimit(req);
    const after = pageKeyOf(ctx, parseCursor(req), 'asset-transfer-networks', account.id);
    const source = await customerOf(res).assetTransferNetworks(account, { after, limit });
    const { items, page } = toPage(source, assetTransferNetwork, (next) =>
      ctx.cursors.encode({ r: 'asset-transfer-networks', a: account.id, k: [next] }),
    );
    res.json({ ...(page ? { page } : {}), assetTransferNetworks: items });
  });
}
