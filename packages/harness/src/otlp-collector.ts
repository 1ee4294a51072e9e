import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * An in-process OpenTelemetry collector for tests: receives OTLP/HTTP trace exports (protobuf or
 * JSON, gzip or not) on `/v1/traces` and keeps the spans, decoded into one plain shape whatever
 * the encoding. Point a service at it with OTEL_EXPORTER_OTLP_ENDPOINT=collector.url.
 */

export interface CollectedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  traceState: string | undefined;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, unknown>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
  /** W3C trace flags (0x1 sampled) and OTLP's 0x100 (parent remoteness known), 0x200 (parent remote). */
  flags: number;
  resource: Record<string, unknown>;
}

export interface ExportRequest {
  contentType: string | undefined;
  contentEncoding: string | undefined;
  headers: IncomingHttpHeaders;
  /** The body's size, uncompressed. */
  bytes: number;
  /** Spans received. */
  spans: number;
}

export interface OtlpCollector {
  /** The base URL, for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces). */
  url: string;
  spans: CollectedSpan[];
  requests: ExportRequest[];
  /** Resolves with the spans once `done(spans)` holds (checked on every export), else rejects after `timeoutMs`. */
  waitFor(done: (spans: CollectedSpan[]) => boolean, timeoutMs?: number): Promise<CollectedSpan[]>;
  close(): Promise<void>;
}

/** Protobuf wire format, read generically: field number → raw values (varints as bigint, the rest as bytes). */
type Fields = Map<number, Array<bigint | Buffer>>;

function readFields(buf: Buffer): Fields {
  const fields: Fields = new Map();
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buf[pos++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const tag = Number(varint());
    const field = tag >> 3;
    let value: bigint | Buffer;
    switch (tag & 7) {
      case 0:
        value = varint();
        break;
      case 1:
        value = buf.subarray(pos, (pos += 8));
        break;
      case 2: {
        const length = Number(varint());
        value = buf.subarray(pos, (pos += length));
        break;
      }
      case 5:
        value = buf.subarray(pos, (pos += 4));
        break;
      default:
        throw new Error(`unsupported wire type ${tag & 7}`);
    }
    const list = fields.get(field) ?? [];
    list.push(value);
    fields.set(field, list);
  }
  return fields;
}

const bytesOf = (fields: Fields, field: number): Buffer[] => (fields.get(field) ?? []) as Buffer[];
const first = (fields: Fields, field: number): Buffer | undefined => bytesOf(fields, field)[0];
const text = (fields: Fields, field: number): string | undefined => first(fields, field)?.toString('utf8');
const number = (fields: Fields, field: number): number => Number((fields.get(field)?.[0] as bigint | undefined) ?? 0n);

function protoValue(buf: Buffer): unknown {
  const f = readFields(buf);
  if (f.has(1)) return text(f, 1);
  if (f.has(2)) return number(f, 2) === 1;
  if (f.has(3)) return Number(BigInt.asIntN(64, f.get(3)![0] as bigint));
  if (f.has(4)) return first(f, 4)!.readDoubleLE();
  if (f.has(5)) return bytesOf(readFields(first(f, 5)!), 1).map(protoValue);
  return undefined;
}

function protoAttributes(list: Buffer[]): Record<string, unknown> {
  return Object.fromEntries(
    list.map((kv) => {
      const f = readFields(kv);
      return [text(f, 1) ?? '', f.has(2) ? protoValue(first(f, 2)!) : undefined];
    }),
  );
}

function decodeProtobuf(body: Buffer): CollectedSpan[] {
  const spans: CollectedSpan[] = [];
  for (const rs of bytesOf(readFields(body), 1)) {
    const rsFields = readFields(rs);
    const resourceBytes = first(rsFields, 1);
    const resource = resourceBytes ? protoAttributes(bytesOf(readFields(resourceBytes), 1)) : {};
    for (const ss of bytesOf(rsFields, 2)) {
      for (const raw of bytesOf(readFields(ss), 2)) {
        const s = readFields(raw);
        const statusBytes = first(s, 15);
        const status: Fields = statusBytes ? readFields(statusBytes) : new Map();
        spans.push({
          traceId: first(s, 1)?.toString('hex') ?? '',
          spanId: first(s, 2)?.toString('hex') ?? '',
          traceState: text(s, 3),
          parentSpanId: first(s, 4)?.toString('hex') || undefined,
          name: text(s, 5) ?? '',
          kind: number(s, 6),
          startTimeUnixNano: first(s, 7)?.readBigUInt64LE() ?? 0n,
          endTimeUnixNano: first(s, 8)?.readBigUInt64LE() ?? 0n,
          attributes: protoAttributes(bytesOf(s, 9)),
          status: { code: number(status, 3), ...(text(status, 2) ? { message: text(status, 2)! } : {}) },
          flags: first(s, 16)?.readUInt32LE() ?? 0,
          resource,
        });
      }
    }
  }
  return spans;
}

interface JsonValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: JsonValue[] };
}

function jsonValue(v: JsonValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(jsonValue);
  return undefined;
}

const jsonAttributes = (list: Array<{ key: string; value: JsonValue }> = []) => Object.fromEntries(list.map((kv) => [kv.key, jsonValue(kv.value)]));

interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: Array<{ key: string; value: JsonValue }>;
  status?: { code?: number; message?: string };
  flags?: number;
}

function decodeJson(body: Buffer): CollectedSpan[] {
  const request = JSON.parse(body.toString('utf8')) as {
    resourceSpans?: Array<{ resource?: { attributes?: Array<{ key: string; value: JsonValue }> }; scopeSpans?: Array<{ spans?: JsonSpan[] }> }>;
  };
  return (request.resourceSpans ?? []).flatMap((rs) => {
    const resource = jsonAttributes(rs.resource?.attributes);
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((s) => ({
        traceId: s.traceId,
        spanId: s.spanId,
        parentSpanId: s.parentSpanId || undefined,
        traceState: s.traceState,
        name: s.name,
        kind: s.kind,
        startTimeUnixNano: BigInt(s.startTimeUnixNano),
        endTimeUnixNano: BigInt(s.endTimeUnixNano),
        attributes: jsonAttributes(s.attributes),
        status: { code: s.status?.code ?? 0, ...(s.status?.message ? { message: s.status.message } : {}) },
        flags: s.flags ?? 0,
        resource,
      })),
    );
  });
}

/**
 * `keep: false` decodes and counts what arrives (`requests`) but keeps no span: a sink for
 * benchmarks, whose spans would otherwise pile up in memory.
 */
export async function startOtlpCollector(options: { keep?: boolean } = {}): Promise<OtlpCollector> {
  const keep = options.keep ?? true;
  const spans: CollectedSpan[] = [];
  const requests: ExportRequest[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const contentType = req.headers['content-type'];
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const received = contentType === 'application/json' ? decodeJson(body) : decodeProtobuf(body);
        if (keep) spans.push(...received);
        requests.push({ contentType, contentEncoding: req.headers['content-encoding'], headers: req.headers, bytes: body.length, spans: received.length });
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err));
        return;
      }
      if (contentType === 'application/json') res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    waitFor: (done, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!done(spans)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(spans);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the collector did not receive the expected spans within ${timeoutMs} ms (got ${spans.length}: ${spans.map((s) => s.name).join(', ')})`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
