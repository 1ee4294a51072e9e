import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monthOf } from '../../src/performance/months.js';
import type { PerformanceReport } from '../../src/performance/report.js';
import { startApi, type TestApi } from '../support.js';

describe.each(['sql', 'sql on PostgreSQL'] as const)('the public performance page and its JSON (%s)', (source) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ source, env: { RATE_LIMIT_WINDOW_SECONDS: '3600', RATE_LIMIT_PER_IP: '4', DISCLOSURE_FLUSH_MS: '100' } });
  }, 60_000);
  afterAll(() => api.close());

  it('lists the current month (in progress) and the 13 full months before it, newest first, without a token', async () => {
    const token = await api.token({ sub: 'cust-10001' });
    for (let i = 0; i < 2; i++) expect((await api.get('/accounts', token)).status).toBe(200);
    // A server error is counted, and not as a proper response.
    await sql`drop table payment_network`.execute(api.database.db);
    expect((await api.get('/accounts/acc-10001-checking/payment-networks', token)).status).toBe(500);
    await api.performance.flush();

    const res = await fetch(`${api.url}/performance.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=1');
    const report = (await res.json()) as PerformanceReport;
    expect(report.months).toHaveLength(14);
    const [current, ...full] = report.months;
    expect(current).toMatchObject({ month: monthOf(Date.now()), partial: true, requests: 3, properResponses: 2, properResponsePercent: 66.66 });
    expect(current!.latencyBuckets.reduce((a, b) => a + b, 0)).toBe(3);
    expect(current!.latencyMs.p50).toBeGreaterThan(0);
    expect(full.map((m) => m.partial)).toEqual(Array(13).fill(false));
    expect(full.every((m) => m.month < current!.month && m.requests === 0 && m.properResponsePercent === null && m.latencyMs.p99 === null)).toBe(true);
    expect(full.at(-1)!.month).toBe(monthOf(Date.UTC(new Date().getUTCFullYear() - 1, new Date().getUTCMonth() - 1, 1)));
    expect(report.definition.responseThresholdMs).toBe(3500);
    expect(report.latencyBucketBoundsMs).toHaveLength(current!.latencyBuckets.length - 1);
  });

  it('renders the same figures as a page that runs no script and allows nothing but its own stylesheet', async () => {
    const res = await fetch(`${api.url}/performance`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain(`${monthOf(Date.now())} (in progress)`);
    expect(html).toContain('66.66 %');
    expect(html).toContain('href="/performance.json"');
    expect(html).not.toContain('<script');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).not.toContain('unsafe-inline');
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(csp).toContain(`style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    // The page is not FDX traffic: the figures stay as they were.
    await new Promise((resolve) => setTimeout(resolve, 150));
    await api.performance.flush();
    expect(((await (await fetch(`${api.url}/performance.json`)).json()) as PerformanceReport).months[0]!.requests).toBe(3);
  });

  it('is limited per caller address like any request without a token', async () => {
    // Three of the four requests this address may make were spent above.
    expect((await fetch(`${api.url}/performance.json`)).status).toBe(200);
    const refused = await fetch(`${api.url}/performance`);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});
