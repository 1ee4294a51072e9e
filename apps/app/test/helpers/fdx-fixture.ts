// A tiny real HTTP server answering FDX-shaped JSON, recording the bearer tokens it sees.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FdxFixture {
  baseUrl: string;
  /** Every bearer token received, in order. */
  seen: string[];
  /** Tokens answered with 401 invalid_token (simulates expiry/revocation at the API). */
  rejected: Set<string>;
  close(): Promise<void>;
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json', 'x-fdx-fixture': 'yes' }).end(JSON.stringify(body));
}

export async function startFdx(): Promise<FdxFixture> {
  const seen: string[] = [];
  const rejected = new Set<string>();
  const server: Server = createServer((req, res) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || rejected.has(token)) {
      res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
      return json(res, 401, { code: 603, message: 'Token expired or invalid' });
    }
    seen.push(token);
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/^\/api\/fdx\/v6/, '');
    if (path === '/customers/current') {
      return json(res, 200, { customer: { customerId: 'cust-10001', name: { first: 'Demo' } } });
    }
    if (path === '/accounts') {
      return json(res, 200, {
        page: { totalElements: 2 },
        accounts: [
          { depositAccount: { accountId: 'acc-001', nickname: 'Checking', accountNumberDisplay: '...1234' } },
          { loanAccount: { accountId: 'acc-002', productName: 'Car loan' } },
        ],
      });
    }
    if (path === '/accounts/acc-001/transactions') {
      const offset = url.searchParams.get('offset');
      return json(res, 200, {
        page: offset ? {} : { nextOffset: 'cursor-2' },
        transactions: [{ depositTransaction: { transactionId: offset ? 'tx-2' : 'tx-1', amount: 10 } }],
        query: Object.fromEntries(url.searchParams),
      });
    }
    if (path === '/accounts/acc-001/statements') {
      return json(res, 200, { statements: [{ statementId: 'st-1', statementDate: '2026-01-31' }] });
    }
    if (path === '/accounts/acc-001/statements/st-1' && req.headers.accept === 'application/pdf') {
      return res.writeHead(200, { 'content-type': 'application/pdf' }).end(PDF);
    }
    if (path.startsWith('/accounts/')) {
      return json(res, 404, { code: 701, message: 'Account not found', debugMessage: 'no account with this id for the customer' });
    }
    return json(res, 404, { code: 404, message: 'Not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/fdx/v6`,
    seen,
    rejected,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export { PDF };
