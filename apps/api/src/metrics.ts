import { Counter, Gauge, Histogram, routeTemplate, ServiceMetrics } from '@apps/shared';
import type { RequestHandler } from 'express';
import type { RejectionKind } from './auth/verifier.js';
import type { CustomerData, FdxDataSource } from './data-source.js';

/** A data-port operation, timed one by one (the `operation` label): every method of CustomerData (TimedCustomerData implements them all). */
type Operation = Exclude<keyof CustomerData, 'customerId'>;

/** Seconds; a data port is a database or the bank's core system behind HTTP. */
const DATA_SOURCE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The API's metrics: HTTP (the shared histogram) and its domain counters. Labels are route
 * templates, FDX codes, rejection kinds and operation names: no customer, account or token ids.
 */
export class ApiMetrics {
  readonly service = new ServiceMetrics();
  private readonly fdxRequests = new Counter({
    name: 'api_fdx_requests_total',
    help: 'FDX requests by endpoint (route template) and FDX error code (none: not an FDX error).',
    labelNames: ['endpoint', 'fdx_code'],
    registers: [this.service.registry],
  });
  private readonly rejections = new Counter({
    name: 'api_token_rejections_total',
    help: 'Requests refused for their access token, by reason.',
    labelNames: ['reason'],
    registers: [this.service.registry],
  });
  private readonly dataSource = new Histogram({
    name: 'api_data_source_duration_seconds',
    help: 'Duration of data-port (FdxDataSource) operations, by operation and outcome (ok or error).',
    labelNames: ['operation', 'outcome'],
    buckets: DATA_SOURCE_BUCKETS,
    registers: [this.service.registry],
  });
  private readonly feedPolls = new Counter({
    name: 'api_consent_feed_polls_total',
    help: "Polls of the OP's consent change feed by outcome: ok (read to its end) or error (the OP unreachable or answering outside the contract).",
    labelNames: ['outcome'],
    registers: [this.service.registry],
  });
  private revocationState: { stateAgeMs(): number } | undefined;
  private readonly revocationAge: Gauge = new Gauge({
    name: 'api_consent_revocation_state_age_seconds',
    help: "Age of the ended-consents state this instance holds: seconds since the last complete read of the OP's change feed began (since start-up until the first).",
    registers: [this.service.registry],
    collect: () => {
      if (this.revocationState) this.revocationAge.set(this.revocationState.stateAgeMs() / 1000);
    },
  });

  constructor() {
    for (const outcome of ['ok', 'error']) this.feedPolls.inc({ outcome }, 0);
  }

  /**
   * Mounted at the FDX base path: counts each response by its route template and FDX code.
   * Requests refused before a route matched (token, rate limit, unknown path) count as `<base>/*`.
   */
  fdxRequestCounter(basePath: string): RequestHandler {
    const unrouted = `${basePath}/*`;
    return (req, res, next) => {
      res.once('finish', () => {
        const code = (res.locals as { fdxCode?: number }).fdxCode;
        this.fdxRequests.inc({ endpoint: routeTemplate(req) ?? unrouted, fdx_code: code === undefined ? 'none' : String(code) });
      });
      next();
    };
  }

  /** The instance's ended-consents state, whose age is reported at every scrape. */
  watchRevocations(state: { stateAgeMs(): number }): void {
    this.revocationState = state;
  }

  /** ConsentRevocations' onPoll. */
  feedPolled(outcome: 'ok' | 'error'): void {
    this.feedPolls.inc({ outcome });
  }

  tokenRejected(kind: RejectionKind | 'missing'): void {
    this.rejections.inc({ reason: kind });
  }

  /** The same data source, each operation timed. */
  timed(source: FdxDataSource): FdxDataSource {
    return { forCustomer: (customerId) => new TimedCustomerData(source.forCustomer(customerId), (operation, call) => this.time(operation, call)) };
  }

  private async time<T>(operation: Operation, call: () => Promise<T>): Promise<T> {
    const end = this.dataSource.startTimer({ operation });
    try {
      const result = await call();
      end({ outcome: 'ok' });
      return result;
    } catch (err) {
      end({ outcome: 'error' });
      throw err;
    }
  }
}

type Timer = <T>(operation: Operation, call: () => Promise<T>) => Promise<T>;

/** A customer's data with every operation timed: one object per request, its methods shared on the prototype. */
class TimedCustomerData implements CustomerData {
  constructor(
    private readonly data: CustomerData,
    private readonly time: Timer,
  ) {}

  get customerId() {
    return this.data.customerId;
  }

  accounts(...args: Parameters<CustomerData['accounts']>) {
    return this.time('accounts', () => this.data.accounts(...args));
  }

  account(...args: Parameters<CustomerData['account']>) {
    return this.time('account', () => this.data.account(...args));
  }

  contact(...args: Parameters<CustomerData['contact']>) {
    return this.time('contact', () => this.data.contact(...args));
  }

  paymentNetworks(...args: Parameters<CustomerData['paymentNetworks']>) {
    return this.time('paymentNetworks', () => this.data.paymentNetworks(...args));
  }

  assetTransferNetworks(...args: Parameters<CustomerData['assetTransferNetworks']>) {
    return this.time('assetTransferNetworks', () => this.data.assetTransferNetworks(...args));
  }

  transactions(...args: Parameters<CustomerData['transactions']>) {
    return this.time('transactions', () => this.data.transactions(...args));
  }

  statements(...args: Parameters<CustomerData['statements']>) {
    return this.time('statements', () => this.data.statements(...args));
  }

  statement(...args: Parameters<CustomerData['statement']>) {
    return this.time('statement', () => this.data.statement(...args));
  }

  statementDocument(...args: Parameters<CustomerData['statementDocument']>) {
    return this.time('statementDocument', () => this.data.statementDocument(...args));
  }
}
