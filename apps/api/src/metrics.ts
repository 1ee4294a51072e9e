import { Counter, Gauge, Histogram, routeTemplate, ServiceMetrics } from '@apps/shared';
import type { RequestHandler } from 'express';
import type { RejectionKind } from './auth/verifier.js';
import type { CustomerData, FdxDataSource } from './data-source.js';

/** Every data-port operation, timed one by one (the `operation` label). */
const OPERATIONS = [
  'accounts',
  'account',
  'contact',
  'paymentNetworks',
  'assetTransferNetworks',
  'transactions',
  'statements',
  'statement',
  'statementDocument',
] as const satisfies readonly (keyof CustomerData)[];

type Operation = (typeof OPERATIONS)[number];

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
    return {
      forCustomer: (customerId) => {
        const data = source.forCustomer(customerId);
        const timed: Record<string, unknown> = { customerId: data.customerId };
        for (const operation of OPERATIONS) timed[operation] = this.timer(operation, data[operation].bind(data) as (...args: unknown[]) => Promise<unknown>);
        return timed as unknown as CustomerData;
      },
    };
  }

  private timer(operation: Operation, call: (...args: unknown[]) => Promise<unknown>) {
    return async (...args: unknown[]) => {
      const end = this.dataSource.startTimer({ operation });
      try {
        const result = await call(...args);
        end({ outcome: 'ok' });
        return result;
      } catch (err) {
        end({ outcome: 'error' });
        throw err;
      }
    };
  }
}
