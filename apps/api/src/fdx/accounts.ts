import type { Router } from 'express';
import { requireScope, Scope } from '../auth/bearer.js';
import { customerOf, findAccount, pathParam, toPage, type FdxContext } from './context.js';
import { parseCursor, parseLimit } from './query.js';
import { accountDescriptor, accountWithDetails } from './serialize.js';

/** /accounts, /accounts/{id}, and the account's contact, payment and asset transfer networks. */
export function accountRoutes(router: Router, ctx: FdxContext, resourceMetadataUrl: string): void {
  const accountScope = requireScope(Scope.account, resourceMetadataUrl);
  const customerScope = requireScope(Scope.customer, resourceMetadataUrl);

  router.get('/accounts', accountScope, async (req, res) => {
    const limit = parseLimit(req);
    const cursor = parseCursor(req);
    const after = cursor === undefined ? undefined : String(ctx.cursors.decode(cursor, 'accounts').k[0]);
    const rows = await customerOf(res).listAccounts(after, limit);
    const { items, page } = toPage(rows, limit, accountDescriptor, (last) => ctx.cursors.encode({ r: 'accounts', k: [last.id] }));
    res.json({ ...(page ? { page } : {}), accounts: items });
  });

  router.get('/accounts/:accountId', accountScope, async (req, res) => {
    const account = await findAccount(res, pathParam(req, 'accountId'), { active: false });
    res.json(accountWithDetails(account));
  });

  router.get('/accounts/:accountId/contact', customerScope, async (req, res) => {
    const account = await findAccount(res, pathParam(req, 'accountId'), { active: true });
    res.json(JSON.parse(account.contact));
  });

  router.get('/accounts/:accountId/payment-networks', accountScope, async (req, res) => {
    const account = await findAccount(res, pathParam(req, 'accountId'), { active: true });
    const limit = parseLimit(req);
    const cursor = parseCursor(req);
    const after = cursor === undefined ? undefined : String(ctx.cursors.decode(cursor, 'payment-networks', account.id).k[0]);
    const rows = await customerOf(res).listPaymentNetworks(account, after, limit);
    const { items, page } = toPage(
      rows,
      limit,
      (r) => ({ bankId: r.bank_id, identifier: r.identifier, type: r.type, transferIn: r.transfer_in === 1, transferOut: r.transfer_out === 1 }),
      (last) => ctx.cursors.encode({ r: 'payment-networks', a: account.id, k: [last.id] }),
    );
    res.json({ ...(page ? { page } : {}), paymentNetworks: items });
  });

  router.get('/accounts/:accountId/asset-transfer-networks', accountScope, async (req, res) => {
    const account = await findAccount(res, pathParam(req, 'accountId'), { active: true });
    const limit = parseLimit(req);
    const cursor = parseCursor(req);
    const after = cursor === undefined ? undefined : String(ctx.cursors.decode(cursor, 'asset-transfer-networks', account.id).k[0]);
    const rows = await customerOf(res).listAssetTransferNetworks(account, after, limit);
    const { items, page } = toPage(
      rows,
      limit,
      (r) => ({
        identifier: r.identifier,
        identifierType: r.identifier_type,
        institutionName: r.institution_name,
        institutionId: r.institution_id,
        type: r.type,
        jointAccount: r.joint_account === 1,
      }),
      (last) => ctx.cursors.encode({ r: 'asset-transfer-networks', a: account.id, k: [last.id] }),
    );
    res.json({ ...(page ? { page } : {}), assetTransferNetworks: items });
  });

}
