import type { AddressInfo } from 'node:net';
import { listen } from '@apps/shared';
import express, { type Request, type Response } from 'express';
import type { Account, CustomerData, FdxDataSource, PageQuery } from '../src/data-source.js';

/**
 * A stand-in for a bank's core system: the HTTP API the README's adapter skeleton
 * (adapter-skeleton.ts) calls, answering from any data source.
 */
export interface FakeCore {
  url: string;
  token: string;
  /** Answers 503 to everything while set. */
  down: boolean;
  requests: number;
  close(): Promise<void>;
}

const str = (req: Request, name: string) => {
  const value = (req.query as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
};
const page = (req: Request): PageQuery => ({ after: str(req, 'after'), limit: Number(str(req, 'limit') ?? 100) });
const param = (req: Request, name: string) => String((req.params as Record<string, string>)[name]);

export async function startFakeCore(source: FdxDataSource): Promise<FakeCore> {
  const token = 'core-token-for-tests';
  const app = express();
  const core: FakeCore = { url: '', token, down: false, requests: 0, close: async () => undefined };

  app.use((req, res, next) => {
    core.requests++;
    if (core.down) return void res.status(503).end();
    if (req.headers.authorization !== `Bearer ${token}`) return void res.status(401).end();
    next();
  });

  const customer = (req: Request) => source.forCustomer(param(req, 'customer'));
  const withAccount = (handle: (data: CustomerData, account: Account, req: Request, res: Response) => Promise<void>) =>
    async (req: Request, res: Response) => {
      const data = customer(req);
      const account = await data.account(param(req, 'account'));
      if (!account) return void res.status(404).end();
      await handle(data, account, req, res);
    };

  app.get('/customers/:customer/accounts', async (req, res) => void res.json(await customer(req).accounts(page(req))));
  app.get('/customers/:customer/accounts/:account', withAccount(async (_d, account, _req, res) => void res.json(account)));
  app.get('/customers/:customer/accounts/:account/contact', withAccount(async (d, a, _req, res) => void res.json(await d.contact(a))));
  app.get(
    '/customers/:customer/accounts/:account/payment-networks',
    withAccount(async (d, a, req, res) => void res.json(await d.paymentNetworks(a, page(req)))),
  );
  app.get(
    '/customers/:customer/accounts/:account/asset-transfer-networks',
    withAccount(async (d, a, req, res) => void res.json(await d.assetTransferNetworks(a, page(req)))),
  );
  app.get(
    '/customers/:customer/accounts/:account/transactions',
    withAccount(async (d, a, req, res) => void res.json(await d.transactions(a, { from: Number(str(req, 'from')), to: Number(str(req, 'to')) }, page(req)))),
  );
  app.get(
    '/customers/:customer/accounts/:account/statements',
    withAccount(async (d, a, req, res) => void res.json(await d.statements(a, { from: str(req, 'from') ?? '', to: str(req, 'to') ?? '' }, page(req)))),
  );
  app.get(
    '/customers/:customer/accounts/:account/statements/:statement',
    withAccount(async (d, a, req, res) => {
      const statement = await d.statement(a, param(req, 'statement'));
      if (!statement) return void res.status(404).end();
      res.json(statement);
    }),
  );
  app.get(
    '/customers/:customer/accounts/:account/statements/:statement/document',
    withAccount(async (d, a, req, res) => {
      const statement = await d.statement(a, param(req, 'statement'));
      if (!statement) return void res.status(404).end();
      const document = await d.statementDocument(a, statement);
      res.type(document.contentType).send(Buffer.from(document.content));
    }),
  );

  const server = await listen(app, '127.0.0.1', 0);
  core.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  core.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return core;
}
