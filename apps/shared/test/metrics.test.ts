import express, { Router } from 'express';
import { Scrape } from '@kit/harness/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../src/lifecycle.js';
import { loadConfig, metricsConfig, metricsEnv, metricsSwitchConsistent, nodeEnv } from '../src/config.js';
import { ServiceMetrics, startMetricsServer, UNMATCHED_ROUTE, type MetricsServer } from '../src/metrics.js';
import { z } from 'zod';

const DURATION = 'http_server_request_duration_seconds_count';

describe('HTTP request metrics', () => {
  const metrics = new ServiceMetrics({ routeOf: (path) => (path === '/outside' ? '/outside' : undefined) });
  let base: string;
  let scraper: MetricsServer;
  let close: () => void;

  beforeAll(async () => {
    const app = express();
    app.use(metrics.http());
    const accounts = Router();
    accounts.get('/accounts/:accountId', (_req, res) => {
      res.json({ ok: true });
    });
    accounts.get('/accounts/:accountId/fail', () => {
      throw Object.assign(new Error('nope'), { status: 404 });
    });
    app.use('/api/v1', accounts);
    app.use('/outside', (_req, res) => {
      res.send('served without a route');
    });
    app.use((_req, res) => {
      res.status(404).send('none');
    });
    app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(404).send('error');
    });
    const server = await listen(app, '127.0.0.1', 0);
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    close = () => server.close();
    scraper = await startMetricsServer(metrics, { host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    close();
    await scraper.close();
  });

  it('labels requests with the route template (mount path included), never the path with its ids', async () => {
    for (const id of ['acc-1', 'acc-2', 'acc-3']) expect((await fetch(`${base}/api/v1/accounts/${id}?x=1`)).status).toBe(200);
    expect((await fetch(`${base}/api/v1/accounts/acc-9/fail`)).status).toBe(404);
    const scrape = await Scrape.from(scraper.url);
    expect(scrape.sum(DURATION, { http_request_method: 'GET', http_route: '/api/v1/accounts/:accountId', http_response_status_code: '200' })).toBe(3);
    // The handler threw, the router was left: the template matched is still the one recorded.
    expect(scrape.sum(DURATION, { http_route: '/api/v1/accounts/:accountId/fail', http_response_status_code: '404' })).toBe(1);
    expect(scrape.samples.some((s) => Object.values(s.labels).some((v) => v.includes('acc-')))).toBe(false);
    const buckets = scrape.matching('http_server_request_duration_seconds_bucket', { http_route: '/api/v1/accounts/:accountId' });
    expect(buckets.map((b) => b.labels.le)).toContain('+Inf');
  });

  it('gives unmatched paths one fixed route, asks routeOf first, and folds unknown methods into _OTHER', async () => {
    for (const path of ['/random/123', '/random/456']) expect((await fetch(`${base}${path}`)).status).toBe(404);
    expect((await fetch(`${base}/outside`)).status).toBe(200);
    expect((await fetch(`${base}/random/1`, { method: 'PROPFIND' })).status).toBe(404);
    const scrape = await Scrape.from(scraper.url);
    expect(scrape.sum(DURATION, { http_request_method: 'GET', http_route: UNMATCHED_ROUTE })).toBe(2);
    expect(scrape.sum(DURATION, { http_route: '/outside', http_response_status_code: '200' })).toBe(1);
    expect(scrape.sum(DURATION, { http_request_method: '_OTHER', http_route: UNMATCHED_ROUTE })).toBe(1);
    expect([...new Set(scrape.matching(DURATION).map((s) => s.labels.http_route))].sort()).toEqual(
      ['/api/v1/accounts/:accountId', '/api/v1/accounts/:accountId/fail', '/outside', UNMATCHED_ROUTE].sort(),
    );
  });

  it('serves the Node runtime metrics beside the service ones, and only GET /metrics', async () => {
    const { families } = await Scrape.from(scraper.url);
    expect(families.get('nodejs_eventloop_lag_p99_seconds')).toBe('gauge');
    expect(families.get('nodejs_heap_size_used_bytes')).toBe('gauge');
    expect(families.get('nodejs_gc_duration_seconds')).toBe('histogram');
    expect(families.get('http_server_request_duration_seconds')).toBe('histogram');
    expect((await fetch(`${scraper.url}/other`)).status).toBe(404);
    expect((await fetch(`${scraper.url}/metrics`, { method: 'POST' })).status).toBe(404);
  });
});

describe('the metrics listener', () => {
  it('stops answering once closed, so a test or a shutdown leaves no listener behind', async () => {
    const server = await startMetricsServer(new ServiceMetrics(), { host: '127.0.0.1', port: 0 });
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
    await server.close();
    await expect(fetch(`${server.url}/metrics`)).rejects.toThrow();
  });
});

describe('metrics configuration', () => {
  const load = (env: Record<string, string>) =>
    loadConfig(
      'test',
      z
        .object({ NODE_ENV: nodeEnv, ...metricsEnv })
        .superRefine(metricsSwitchConsistent)
        .transform((e) => ({ nodeEnv: e.NODE_ENV, metrics: metricsConfig(e) })),
      env,
    ).metrics;

  it('has no listener unless METRICS_PORT is set, and binds loopback by default', () => {
    expect(load({})).toEqual({ enabled: true, host: '127.0.0.1', port: undefined });
    expect(load({ METRICS_PORT: '9464' })).toEqual({ enabled: true, host: '127.0.0.1', port: 9464 });
    expect(load({ METRICS_PORT: '0', METRICS_HOST: '::1' })).toEqual({ enabled: true, host: '::1', port: 0 });
    expect(() => load({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
  });

  it('switches metrics off with METRICS_ENABLED=false, and refuses a metrics port with them off', () => {
    expect(load({ METRICS_ENABLED: 'false' })).toEqual({ enabled: false, host: '127.0.0.1', port: undefined });
    expect(load({ METRICS_ENABLED: 'true', METRICS_PORT: '9464' }).enabled).toBe(true);
    expect(() => load({ METRICS_ENABLED: 'false', METRICS_PORT: '9464' })).toThrow(/METRICS_PORT: set while METRICS_ENABLED=false/);
    expect(() => load({ METRICS_ENABLED: 'maybe' })).toThrow(/METRICS_ENABLED/);
  });
});
