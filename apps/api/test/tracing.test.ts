import { startOtlpCollector, type CollectedSpan, type OtlpCollector } from '@kit/harness/otlp-collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, testConfig, type TestApi } from './support.js';

const FDX = '/api/fdx/v6';
const SERVER = 2;
const CLIENT = 3;

const ofTrace = (spans: CollectedSpan[], traceId: string) => spans.filter((s) => s.traceId === traceId);
const serverSpanOf = (spans: CollectedSpan[], requestId: string) =>
  spans.find((s) => s.kind === SERVER && (s.attributes['http.request.header.x-request-id'] as string[] | undefined)?.[0] === requestId);

describe.each([
  { source: 'sql', protocol: 'http/protobuf', system: 'sqlite', metrics: 'true' },
  // Route templates do not depend on the metrics middleware.
  { source: 'sql on PostgreSQL', protocol: 'http/json', system: 'postgresql', metrics: 'false' },
] as const)('API traces on $source, exported over $protocol, METRICS_ENABLED=$metrics', ({ source, protocol, system, metrics }) => {
  let collector: OtlpCollector;
  let api: TestApi;
  const lines: string[] = [];

  beforeAll(async () => {
    collector = await startOtlpCollector();
    api = await startApi({
      source,
      logLines: lines,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_BSP_SCHEDULE_DELAY: '20', OTEL_SERVICE_NAME: 'api-test', METRICS_ENABLED: metrics },
    });
  });
  afterAll(async () => {
    await api?.close();
    await collector?.close();
  });

  it('exports a server span named after the route, with the query spans of the request as its children', async () => {
    const token = await api.token();
    const res = await api.get('/accounts/acc-10001-checking?x=query-secret', token);
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id')!;
    await collector.waitFor((spans) => serverSpanOf(spans, requestId) !== undefined);
    const server = serverSpanOf(collector.spans, requestId)!;
    expect(server.name).toBe(`GET ${FDX}/accounts/:accountId`);
    expect(server.parentSpanId).toBeUndefined();
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': `${FDX}/accounts/:accountId`,
      'http.response.status_code': 200,
      'url.scheme': 'http',
    });
    expect(server.resource['service.name']).toBe('api-test');
    const queries = ofTrace(collector.spans, server.traceId).filter((s) => s.attributes['db.system.name'] === system);
    expect(queries.length).toBeGreaterThan(0);
    for (const query of queries) {
      expect(query.kind).toBe(CLIENT);
      expect(query.parentSpanId).toBe(server.spanId);
      expect(query.startTimeUnixNano).toBeGreaterThanOrEqual(server.startTimeUnixNano);
      expect(query.endTimeUnixNano).toBeLessThanOrEqual(server.endTimeUnixNano);
    }
    const accountQuery = queries.find((s) => s.attributes['db.collection.name'] === 'account');
    expect(accountQuery).toMatchObject({ name: 'SELECT account', attributes: { 'db.operation.name': 'SELECT' } });
    // Statements with placeholders; the ids and the token never reach a span.
    const exported = JSON.stringify(ofTrace(collector.spans, server.traceId), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    for (const secret of ['acc-10001-checking', 'query-secret', token, token.split('.')[2]!, 'cust-']) expect(exported).not.toContain(secret);
  });

  it("continues the caller's trace from its traceparent", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await api.get('/accounts', undefined, { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, tracestate: 'caddy=1' });
    expect(res.status).toBe(200);
    await collector.waitFor((spans) => ofTrace(spans, traceId).some((s) => s.kind === SERVER));
    const server = ofTrace(collector.spans, traceId).find((s) => s.kind === SERVER)!;
    expect(server).toMatchObject({ name: `GET ${FDX}/accounts`, parentSpanId: '00f067aa0ba902b7', traceState: 'caddy=1', flags: 0x301 });
    // Its children's parent is in this process.
    expect(ofTrace(collector.spans, traceId).filter((s) => s.kind === CLIENT).map((s) => s.flags)).toContain(0x101);
  });

  it("follows the caller's decision not to sample, and marks failed requests as errors", async () => {
    const unsampled = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    expect((await api.get('/accounts', undefined, { traceparent: `00-${unsampled}-00f067aa0ba902b7-00` })).status).toBe(200);
    const res = await api.get('/accounts', 'not-a-jwt');
    expect(res.status).toBe(401);
    const requestId = res.headers.get('x-request-id')!;
    await collector.waitFor((spans) => serverSpanOf(spans, requestId) !== undefined);
    // 4xx is the client's error: the span's status stays unset (OpenTelemetry's rule for servers).
    expect(serverSpanOf(collector.spans, requestId)!.status.code).toBe(0);
    expect(ofTrace(collector.spans, unsampled)).toEqual([]);
  });

  it('writes the trace id and span id on the log lines of the request', async () => {
    const traceId = '5bf92f3577b34da6a3ce929d0e0e4736';
    const res = await api.get('/accounts', undefined, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    await collector.waitFor((spans) => ofTrace(spans, traceId).some((s) => s.kind === SERVER));
    const server = ofTrace(collector.spans, traceId).find((s) => s.kind === SERVER)!;
    const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.reqId === res.headers.get('x-request-id'));
    expect(line).toMatchObject({ msg: 'request completed', trace_id: traceId, span_id: server.spanId });
  });
});

describe('API tracing off', () => {
  let collector: OtlpCollector;
  let api: TestApi;
  const lines: string[] = [];

  beforeAll(async () => {
    collector = await startOtlpCollector();
    // Everything but the endpoint: tracing stays off.
    api = await startApi({ logLines: lines, env: { OTEL_SERVICE_NAME: 'api-test', OTEL_TRACES_SAMPLER: 'always_on', OTEL_BSP_SCHEDULE_DELAY: '20' } });
  });
  afterAll(async () => {
    await api?.close();
    await collector?.close();
  });

  it('is the default: no tracer, nothing exported, no trace ids in the logs', async () => {
    expect(testConfig().tracing).toBeUndefined();
    const res = await api.get('/accounts', undefined, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    expect(res.status).toBe(200);
    await api.close();
    expect(collector.requests).toEqual([]);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toMatch(/trace_id|4bf92f3577b34da6a3ce929d0e0e4736/);
  });

  it('is also off with OTEL_SDK_DISABLED=true whatever else is set', () => {
    expect(testConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SDK_DISABLED: 'true' }).tracing).toBeUndefined();
  });

  it('refuses to start with settings it cannot honour, naming them', () => {
    expect(() => testConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" is not supported/);
    expect(() => testConfig({ OTEL_TRACES_EXPORTER: 'console' })).toThrow(/OTEL_TRACES_EXPORTER/);
  });
});
