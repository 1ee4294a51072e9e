import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startOtlpCollector, type OtlpCollector } from '@kit/harness/otlp-collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig, nodeEnv } from '../src/config.js';
import { parseTraceparent, formatTraceparent, newTraceId, withSpan } from '../src/tracing/context.js';
import { tracingConfig, tracingEnv, type TracingConfig } from '../src/tracing/config.js';
import { createSampler } from '../src/tracing/sampler.js';
import { SpanKind } from '../src/tracing/span.js';
import { Tracer } from '../src/tracing/tracer.js';

const schema = z.object({ NODE_ENV: nodeEnv, ...tracingEnv }).transform((e, ctx) => ({ nodeEnv: e.NODE_ENV, tracing: tracingConfig(e, 'svc', ctx) }));
const tracing = (env: Record<string, string>) => loadConfig('svc', schema, env).tracing;
const problems = (env: Record<string, string>) => {
  try {
    tracing(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join('\n');
    throw err;
  }
  throw new Error('accepted');
};

describe('tracing configuration from the OTEL_* environment', () => {
  it('is off unless an OTLP endpoint is set, and off when disabled or the exporter is none', () => {
    expect(tracing({})).toBeUndefined();
    expect(tracing({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' })).toBeUndefined();
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBeUndefined();
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
  });

  it('reads the standard variables, the traces-specific ones winning', () => {
    const config = tracing({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%3D,x-tenant=bank',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=traces',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,service.name=ignored',
      OTEL_SERVICE_NAME: 'api-eu',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
    })!;
    expect(config.endpoint).toBe('http://collector:4318/v1/traces');
    expect(config.protocol).toBe('http/protobuf');
    expect(config.headers).toEqual({ 'x-api-key': 'abc=', 'x-tenant': 'traces' });
    expect(config.resource).toEqual({ 'deployment.environment.name': 'prod', 'service.name': 'api-eu' });
    expect(config.sampler).toEqual({ name: 'parentbased_traceidratio', ratio: 0.1 });
    expect(config.compression).toBe('gzip');
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:9999/traces' })!.endpoint).toBe('http://b:9999/traces');
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318' })!.resource['service.name']).toBe('svc');
  });

  it('refuses what it cannot do with a message naming the variable', () => {
    expect(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" is not supported.*4318/);
    expect(problems({ OTEL_TRACES_EXPORTER: 'zipkin' })).toMatch(/OTEL_TRACES_EXPORTER: only "otlp"/);
    expect(problems({ OTEL_TRACES_SAMPLER: 'sometimes' })).toMatch(/OTEL_TRACES_SAMPLER: must be one of/);
    expect(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '10%' })).toMatch(/OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1/);
    expect(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT: must be an http\(s\) URL/);
    expect(problems({ OTEL_EXPORTER_OTLP_HEADERS: 'novalue' })).toMatch(/OTEL_EXPORTER_OTLP_HEADERS: each entry must be key=value/);
  });
});

describe('W3C trace context', () => {
  it('reads a valid traceparent and refuses malformed ones', () => {
    const header = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(parseTraceparent(header, 'vendor=x')).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: true, traceState: 'vendor=x' });
    expect(formatTraceparent(parseTraceparent(header)!)).toBe(header);
    expect(parseTraceparent(header.replace(/-01$/, '-00'))!.sampled).toBe(false);
    for (const bad of [
      'garbage',
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`,
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      `${header}-extra`,
    ]) {
      expect(parseTraceparent(bad), bad).toBeUndefined();
    }
    // A later version is read by its version-00 fields.
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more')?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
});

describe('samplers', () => {
  const ids = Array.from({ length: 20_000 }, () => newTraceId());
  const share = (sample: (id: string) => boolean) => ids.filter(sample).length / ids.length;

  it('keeps the configured share of new traces, the same way for the same trace id', () => {
    const tenth = createSampler({ name: 'traceidratio', ratio: 0.1 });
    expect(share((id) => tenth(id, undefined))).toBeGreaterThan(0.09);
    expect(share((id) => tenth(id, undefined))).toBeLessThan(0.11);
    expect(ids.every((id) => tenth(id, undefined) === tenth(id, undefined))).toBe(true);
    expect(share((id) => createSampler({ name: 'always_off', ratio: 1 })(id, undefined))).toBe(0);
    expect(share((id) => createSampler({ name: 'traceidratio', ratio: 0 })(id, undefined))).toBe(0);
  });

  it("follows the caller's sampled flag when parent-based, and ignores it otherwise", () => {
    const parentBased = createSampler({ name: 'parentbased_traceidratio', ratio: 0 });
    const parent = { traceId: ids[0]!, spanId: '00f067aa0ba902b7' };
    expect(parentBased(ids[0]!, { ...parent, sampled: true })).toBe(true);
    expect(parentBased(ids[0]!, { ...parent, sampled: false })).toBe(false);
    expect(parentBased(ids[0]!, undefined)).toBe(false);
    expect(createSampler({ name: 'always_on', ratio: 1 })(ids[0]!, { ...parent, sampled: false })).toBe(true);
  });
});

describe('export and outgoing calls', () => {
  let collector: OtlpCollector;
  let downstream: { url: string; headers: IncomingHttpHeaders[]; close(): void };
  const config = (overrides: Partial<TracingConfig> = {}): TracingConfig => ({
    ...tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '50' })!,
    ...overrides,
  });

  beforeAll(async () => {
    collector = await startOtlpCollector();
    const headers: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      headers.push(req.headers);
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    downstream = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, headers, close: () => server.close() };
  });
  afterAll(async () => {
    downstream?.close();
    await collector?.close();
  });

  it.each([
    ['http/protobuf', 'none'],
    ['http/json', 'gzip'],
  ] as const)('sends spans over %s (%s) with their attributes, kinds and parents', async (protocol, compression) => {
    const tracer = new Tracer(config({ protocol, compression, headers: { 'x-api-key': 'k1' } }), { instanceId: 'host-1' });
    const root = tracer.startSpan('GET /things/:id', SpanKind.SERVER);
    root.setAttribute('http.response.status_code', 200).setAttribute('ratio', 0.5).setAttribute('flag', false).setAttribute('list', ['a', 'b']);
    const child = root.child('SELECT thing', SpanKind.CLIENT).fail('boom');
    child.end();
    root.end();
    await tracer.shutdown();
    const spans = collector.spans.filter((s) => s.traceId === root.context.traceId);
    expect(spans.map((s) => s.name).sort()).toEqual(['GET /things/:id', 'SELECT thing']);
    const [server, client] = [spans.find((s) => s.kind === 2)!, spans.find((s) => s.kind === 3)!];
    expect(server.parentSpanId).toBeUndefined();
    expect(client.parentSpanId).toBe(server.spanId);
    expect(server.attributes).toEqual({ 'http.response.status_code': 200, ratio: 0.5, flag: false, list: ['a', 'b'] });
    expect(client.status).toEqual({ code: 2, message: 'boom' });
    expect(server.endTimeUnixNano).toBeGreaterThanOrEqual(server.startTimeUnixNano);
    expect(Number(server.startTimeUnixNano / 1_000_000n)).toBeGreaterThan(Date.now() - 60_000);
    expect(server.resource).toMatchObject({ 'service.name': 'svc', 'service.instance.id': 'host-1' });
    const request = collector.requests.at(-1)!;
    expect(request.contentType).toBe(protocol === 'http/json' ? 'application/json' : 'application/x-protobuf');
    expect(request.contentEncoding).toBe(compression === 'gzip' ? 'gzip' : undefined);
    expect(request.headers['x-api-key']).toBe('k1');
  });

  it('makes an outgoing fetch inside a span a client span and sends its traceparent', async () => {
    const tracer = new Tracer(config());
    const root = tracer.startSpan('GET /x', SpanKind.SERVER);
    await withSpan(root, async () => (await fetch(`${downstream.url}/internal/v1/customers/cust-1/accounts?since=secret`)).text());
    root.end();
    await tracer.shutdown();
    const client = collector.spans.find((s) => s.traceId === root.context.traceId && s.kind === 3)!;
    expect(client).toMatchObject({ name: 'GET', parentSpanId: root.context.spanId });
    expect(client.attributes).toEqual({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(downstream.url).port),
      'url.scheme': 'http',
      'http.response.status_code': 200,
    });
    expect(downstream.headers.at(-1)!.traceparent).toBe(`00-${root.context.traceId}-${client.spanId}-01`);
  });

  it('leaves fetches outside any span alone, and marks unsampled calls as such', async () => {
    await fetch(downstream.url);
    expect(downstream.headers.at(-1)!.traceparent).toBeUndefined();
    const tracer = new Tracer(config({ sampler: { name: 'always_off', ratio: 1 } }));
    const root = tracer.startSpan('GET /x', SpanKind.SERVER);
    await withSpan(root, () => fetch(downstream.url));
    root.end();
    await tracer.shutdown();
    expect(downstream.headers.at(-1)!.traceparent).toBe(`00-${root.context.traceId}-${root.context.spanId}-00`);
    expect(collector.spans.some((s) => s.traceId === root.context.traceId)).toBe(false);
  });

  it('drops spans beyond the bounded queue while the collector is slow, and survives one that is down', async () => {
    const stalled = createServer(() => undefined);
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(stalled.address() as AddressInfo).port}/v1/traces`;
    const tracer = new Tracer(config({ endpoint, timeoutMs: 200, batch: { maxQueueSize: 4, maxExportBatchSize: 2, scheduleDelayMs: 60_000, exportTimeoutMs: 200 } }));
    try {
      for (let i = 0; i < 10; i++) tracer.startSpan(`s${i}`, SpanKind.INTERNAL).end();
      // Two in flight, four queued, four dropped.
      expect(tracer.exporter.droppedSpans).toBe(4);
      await tracer.shutdown();
      expect(tracer.exporter.droppedSpans).toBe(10);
    } finally {
      stalled.closeAllConnections();
      stalled.close();
    }
  });
});
