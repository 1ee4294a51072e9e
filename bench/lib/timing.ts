import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { ApiMetrics, ConsentRevocations, createOpClient, customerDataFor, rateLimit, SqlDataSource, type AccessToken, type ApiSchema, type FdxDataSource } from '@apps/api';
import { createLogger, RateCounter, type Database } from '@apps/shared';
import { startOpConsents } from '@kit/harness/op-consents';

/** Runs `fn` repeatedly for about `ms`, one call at a time, after a short warm-up; returns calls and mean ms. */
export async function repeat(ms: number, fn: () => Promise<unknown>): Promise<{ calls: number; meanMs: number }> {
  for (let i = 0; i < 20; i++) await fn();
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    await fn();
    calls++;
  }
  return { calls, meanMs: (performance.now() - start) / calls };
}

/**
 * Mean µs of counting one request (client and address keys), as a request pays it: with
 * syncMs 0 one upsert each, otherwise in memory with a flush per interval (timed in too).
 */
export async function rateCounterMicros(db: Database<ApiSchema>['db'], ms: number, syncMs: number): Promise<number> {
  const counter = new RateCounter(db, { windowMs: 60_000, syncMs });
  const { meanMs } = await repeat(ms, () => counter.hit(['ip:127.0.0.1', 'client:bench'], Date.now())).finally(() => counter.close());
  return Math.round(meanMs * 10_000) / 10;
}

/**
 * What the consent checks add to one `GET /accounts`, in-process (mean µs per request, many
 * alternating rounds): the ended-consents lookup (a ConsentRevocations loaded with `ended`
 * consents from the OP stand-in's feed) and the account selection of a token naming every
 * account of its customer, over a source that answers the customer's account list from memory
 * (read once from the SQL store), so the data read itself costs next to nothing and the
 * difference is the checks alone.
 */
export async function consentCheckMicros(db: Database<ApiSchema>['db'], ms: number, ended: number): Promise<{ legacy: number; consent: number }> {
  const secret = 'bench-internal-secret-0123456789-abcdefghijklmnop';
  const op = await startOpConsents({ secret });
  try {
    for (let i = 0; i < ended; i++) op.end(`bench-ended-${i}`);
    const revocations = new ConsentRevocations({
      op: createOpClient({ baseUrl: op.url, secret }),
      intervalMs: 1000,
      retentionMs: 3600_000,
      logger: createLogger({ name: 'bench', level: 'silent' }),
    });
    await revocations.poll();
    const sub = 'cust-10001';
    const page = await new SqlDataSource(db, { institutionName: 'Bench' }).forCustomer(sub).accounts({ limit: 500 });
    // Only the list is read here; the other reads of the port are never reached.
    const source = { forCustomer: (customerId: string) => ({ customerId, accounts: async () => page }) } as unknown as FdxDataSource;
    const token = { sub, consentId: '0b7c6f7e-3c1d-4d8e-9a51-6f0e2b9d4c11', accountIds: new Set(page.items.map((a) => a.id)) };
    const legacy = () => customerDataFor(source, { sub, accountIds: undefined }).accounts({ limit: 100 });
    const consent = () => {
      if (revocations.has(token.consentId)) throw new Error('the bench consent is not active');
      return customerDataFor(source, token).accounts({ limit: 100 });
    };
    const rounds = 20;
    const totals = { legacy: 0, consent: 0 };
    for (let round = 0; round < rounds; round++) {
      totals.legacy += (await repeat(ms / rounds / 2, legacy)).meanMs;
      totals.consent += (await repeat(ms / rounds / 2, consent)).meanMs;
    }
    const micros = (totalMs: number) => Math.round((totalMs / rounds) * 10_000) / 10;
    return { legacy: micros(totals.legacy), consent: micros(totals.consent) };
  } finally {
    await op.close();
  }
}

/**
 * Mean µs of the API's whole rate-limit check for one request with a verified token, as the
 * router runs it: the customer's count read (refusal before counting), then one hit on the
 * client and (client, customer) keys, over `customers` customers of one client. Compare with
 * rateCounterMicros (one hit on two keys, the check before per-customer limits); `perCustomer:
 * false` times the same middleware with the per-customer limit off (client key only).
 */
export async function rateLimitCheckMicros(db: Database<ApiSchema>['db'], ms: number, syncMs: number, options: { customers?: number; perCustomer?: boolean } = {}): Promise<number> {
  const customers = options.customers ?? 1000;
  const counter = new RateCounter(db, { windowMs: 60_000, syncMs });
  const perCustomer = options.perCustomer === false ? 0 : 1e9;
  const { afterToken } = rateLimit({ limits: { windowMs: 60_000, perClient: 1e9, perCustomer, perIp: 0 }, counter, now: Date.now });
  const req = { ip: '127.0.0.1' };
  let n = 0;
  const check = () =>
    new Promise<void>((resolve, reject) => {
      const token: AccessToken = { sub: `cust-${n++ % customers}`, scopes: new Set(), clientId: 'bench', jti: undefined, exp: undefined, rateLimits: undefined, certificateThumbprint: undefined, consentId: undefined, accountIds: undefined };
      const next = (err?: unknown) => (err ? reject(err instanceof Error ? err : new Error('rate-limit check failed', { cause: err })) : resolve());
      Promise.resolve(afterToken(req as never, { locals: { token } } as never, next)).catch(reject);
    });
  const { meanMs } = await repeat(ms, check).finally(() => counter.close());
  return Math.round(meanMs * 10_000) / 10;
}

/**
 * Mean µs of the API's per-request metrics work on one `GET /accounts`, in-process over many
 * alternating rounds: the HTTP histogram middleware (route capture, one observation at the
 * response's end), the FDX request counter and the timed data port, run on a stand-in request and
 * response around a data source that answers from memory — vs the same steps without them. The
 * difference is what METRICS_ENABLED=false saves, free of the noise of loads over HTTP.
 */
export async function metricsWorkMicros(ms: number): Promise<{ off: number; on: number }> {
  const metrics = new ApiMetrics();
  const http = metrics.service.http();
  const counter = metrics.fdxRequestCounter('/api/fdx/v6');
  const page = { items: [] };
  const answer = async () => page;
  const operations = ['accounts', 'account', 'contact', 'paymentNetworks', 'assetTransferNetworks', 'transactions', 'statements', 'statement', 'statementDocument'];
  const source = { forCustomer: (customerId: string): unknown => Object.fromEntries([['customerId', customerId], ...operations.map((o) => [o, answer])]) } as unknown as FdxDataSource;
  const timed = metrics.timed(source);
  const next = () => undefined;
  // Express gives every request its app's request prototype; the route capture extends that prototype.
  const appRequest = {};
  const request = async (on: boolean) => {
    const req = Object.assign(Object.create(appRequest) as object, { method: 'GET', originalUrl: '/api/fdx/v6/accounts', baseUrl: '' }) as unknown as Parameters<typeof http>[0];
    const res = Object.assign(new EventEmitter(), { statusCode: 200, locals: {} }) as unknown as Parameters<typeof http>[1];
    if (on) {
      http(req, res, next);
      counter(req, res, next);
    }
    // What Express does on dispatch: the router's mount path, then the route matched.
    req.baseUrl = '/api/fdx/v6';
    req.route = { path: '/accounts' };
    await (on ? timed : source).forCustomer('cust-10001').accounts({ limit: 100 });
    res.emit('finish');
  };
  const rounds = 20;
  const totals = { off: 0, on: 0 };
  for (let round = 0; round < rounds; round++) {
    totals.off += (await repeat(ms / rounds / 2, () => request(false))).meanMs;
    totals.on += (await repeat(ms / rounds / 2, () => request(true))).meanMs;
  }
  const micros = (totalMs: number) => Math.round((totalMs / rounds) * 10_000) / 10;
  return { off: micros(totals.off), on: micros(totals.on) };
}
