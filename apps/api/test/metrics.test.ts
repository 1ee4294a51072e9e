import { parseExposition, Scrape } from '@kit/harness/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSourceUnavailableError, type CustomerData, type FdxDataSource } from '../src/data-source.js';
import { startApi, type TestApi } from './support.js';

const FDX = '/api/fdx/v6';
const env = { METRICS_PORT: '0', RATE_LIMIT_SYNC_MS: '0' };

describe.each(['sql', 'sql on PostgreSQL'] as const)('API metrics on %s, scraped from METRICS_PORT', (source) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ source, env });
  });
  afterAll(() => api?.close());

  it('serves /metrics on its own loopback port, not on the API port', async () => {
    expect(api.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(api.metricsUrl).not.toBe(api.url);
    expect((await fetch(`${api.url}/metrics`)).status).toBe(404);
  });

  it('counts requests by route template and FDX code, never by account id', async () => {
    const token = await api.token();
    const before = await Scrape.from(api.metricsUrl!);
    expect((await api.get('/accounts', token)).status).toBe(200);
    for (const id of ['acc-10001-checking', 'acc-10001-savings']) expect((await api.get(`/accounts/${id}`, token)).status).toBe(200);
    expect((await api.get('/accounts/acc-nobody', token)).status).toBe(404);
    const after = await Scrape.from(api.metricsUrl!);
    const moved = (name: string, labels: Record<string, string>) => after.sum(name, labels) - before.sum(name, labels);

    expect(moved('api_fdx_requests_total', { endpoint: `${FDX}/accounts`, fdx_code: 'none' })).toBe(1);
    expect(moved('api_fdx_requests_total', { endpoint: `${FDX}/accounts/:accountId`, fdx_code: 'none' })).toBe(2);
    expect(moved('api_fdx_requests_total', { endpoint: `${FDX}/accounts/:accountId`, fdx_code: '701' })).toBe(1);
    const route = { http_request_method: 'GET', http_route: `${FDX}/accounts/:accountId` };
    expect(moved('http_server_request_duration_seconds_count', { ...route, http_response_status_code: '200' })).toBe(2);
    expect(moved('http_server_request_duration_seconds_count', { ...route, http_response_status_code: '404' })).toBe(1);
    expect(moved('api_data_source_duration_seconds_count', { operation: 'account', outcome: 'ok' })).toBe(3);
    expect(moved('api_data_source_duration_seconds_count', { operation: 'accounts', outcome: 'ok' })).toBe(1);
    const values = after.samples.flatMap((s) => Object.values(s.labels));
    expect(values.filter((v) => v.includes('acc-') || v.includes('cust-'))).toEqual([]);
  });

  it('counts token rejections by reason', async () => {
    const before = await Scrape.from(api.metricsUrl!);
    expect((await api.get('/accounts', null)).status).toBe(401);
    expect((await api.get('/accounts', await api.token({ expiresIn: Math.floor(Date.now() / 1000) - 120 }))).status).toBe(401);
    expect((await api.get('/accounts', 'not-a-jwt')).status).toBe(401);
    const after = await Scrape.from(api.metricsUrl!);
    for (const reason of ['missing', 'expired', 'malformed']) {
      expect(after.sum('api_token_rejections_total', { reason }) - before.sum('api_token_rejections_total', { reason }), reason).toBe(1);
    }
    // Refused before routing: the FDX base path, not the path asked for.
    const refused = { endpoint: `${FDX}/*`, fdx_code: '602' };
    expect(after.sum('api_fdx_requests_total', refused) - before.sum('api_fdx_requests_total', refused)).toBe(3);
  });
});

/** A data source whose core system is down: every call fails as the port says it should. */
const down: FdxDataSource = {
  forCustomer: (customerId) =>
    new Proxy({ customerId } as CustomerData, {
      get: (target, key) => (key === 'customerId' ? target.customerId : () => Promise.reject(new DataSourceUnavailableError())),
    }),
};

describe('API metrics with a data source that is down', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ dataSource: down, env });
  });
  afterAll(() => api?.close());

  it('times failed data-port calls as errors and counts the FDX 501', async () => {
    expect((await api.get('/accounts')).status).toBe(503);
    const scrape = await Scrape.from(api.metricsUrl!);
    expect(scrape.sum('api_data_source_duration_seconds_count', { operation: 'accounts', outcome: 'error' })).toBe(1);
    expect(scrape.sum('api_fdx_requests_total', { endpoint: `${FDX}/accounts`, fdx_code: '501' })).toBe(1);
    expect(scrape.sum('http_server_request_duration_seconds_count', { http_route: `${FDX}/accounts`, http_response_status_code: '503' })).toBe(1);
  });
});

describe("API metrics of the OP's consent feed", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ env: { ...env, CONSENT_FEED_INTERVAL_MS: '100' } });
  });
  afterAll(() => api?.close());

  const scrape = () => Scrape.from(api.metricsUrl!);
  const age = async () => (await scrape()).sum('api_consent_revocation_state_age_seconds');
  async function until(check: () => Promise<boolean>, what: string): Promise<void> {
    for (const started = Date.now(); !(await check()); await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() - started > 15_000) throw new Error(`${what}: not within 15 s`);
    }
  }

  it('reports a revocation state as old as the poll interval while the feed answers, counting the polls', async () => {
    const before = await scrape();
    await until(async () => (await scrape()).sum('api_consent_feed_polls_total', { outcome: 'ok' }) >= before.sum('api_consent_feed_polls_total', { outcome: 'ok' }) + 3, 'three polls');
    const after = await scrape();
    expect(after.families.get('api_consent_revocation_state_age_seconds')).toBe('gauge');
    expect(after.sum('api_consent_revocation_state_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(after.sum('api_consent_revocation_state_age_seconds')).toBeLessThan(1);
    expect(after.sum('api_consent_feed_polls_total', { outcome: 'error' })).toBe(0);
  });

  it('lets the state age grow and counts failed polls while the OP fails, and recovers when it answers again', async () => {
    api.op.failWith = 503;
    try {
      await until(async () => (await scrape()).sum('api_consent_feed_polls_total', { outcome: 'error' }) >= 2, 'two failed polls');
      await until(async () => (await age()) > 0.5, 'the state ages');
    } finally {
      api.op.failWith = undefined;
    }
    await until(async () => (await age()) < 0.5, 'a fresh state once the feed answers');
  });
});

describe('API with METRICS_ENABLED=false', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ env: { METRICS_ENABLED: 'false', RATE_LIMIT_SYNC_MS: '0' } });
  });
  afterAll(() => api?.close());

  it('serves requests without counting or timing any of them, and opens no listener', async () => {
    expect(api.metricsUrl).toBeUndefined();
    expect((await api.get('/accounts')).status).toBe(200);
    expect((await api.get('/accounts/acc-10001-checking')).status).toBe(200);
    expect((await api.get('/accounts', null)).status).toBe(401);
    const names = new Set(parseExposition(await api.metrics.service.scrape()).map((s) => s.name));
    for (const name of ['http_server_request_duration_seconds_count', 'api_fdx_requests_total', 'api_data_source_duration_seconds_count']) {
      expect(names.has(name), name).toBe(false);
    }
  });
});
