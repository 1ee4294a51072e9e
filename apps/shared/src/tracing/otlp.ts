import type { AttributeValue, Span } from './span.js';

/**
 * ExportTraceServiceRequest in OTLP's two HTTP encodings (opentelemetry-proto, trace/v1): JSON with
 * hex ids and integer enums, and protobuf, written by hand for the few messages a span needs.
 */

const SCOPE = { name: '@apps/shared/tracing', version: '1' };

const nanos = (ms: number): bigint => BigInt(Math.round(ms * 1000)) * 1000n;

/** OTLP's span flags: W3C's sampled bit, HAS_IS_REMOTE (0x100) and IS_REMOTE (0x200) for the parent. */
const flagsOf = (span: Span): number => 0x1 | 0x100 | (span.parentIsRemote ? 0x200 : 0);

function jsonValue(value: AttributeValue): Record<string, unknown> {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  return { arrayValue: { values: value.map((v) => ({ stringValue: v })) } };
}

const jsonAttributes = (attributes: Record<string, AttributeValue>) =>
  Object.entries(attributes).map(([key, value]) => ({ key, value: jsonValue(value) }));

export function encodeJson(resource: Record<string, AttributeValue>, spans: readonly Span[]): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: jsonAttributes(resource) },
        scopeSpans: [
          {
            scope: SCOPE,
            spans: spans.map((span) => ({
              traceId: span.context.traceId,
              spanId: span.context.spanId,
              ...(span.context.traceState ? { traceState: span.context.traceState } : {}),
              ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
              name: span.name,
              kind: span.kind,
              startTimeUnixNano: String(nanos(span.startMs)),
              endTimeUnixNano: String(nanos(span.endMs)),
              attributes: jsonAttributes(span.attributes),
              status: span.status,
              flags: flagsOf(span),
            })),
          },
        ],
      },
    ],
  });
}

/** Protobuf wire format: a growing list of chunks, with nested messages length-prefixed. */
class Writer {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  private push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  private varint(value: bigint | number): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    while (v >= 0x80n) {
      bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(Number(v));
    this.push(Buffer.from(bytes));
  }

  private tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  uint(field: number, value: number | bigint): this {
    if (value === 0 || value === 0n) return this;
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  /** Written even when zero: a oneof member (AnyValue) must be present to be read. */
  int(field: number, value: number): this {
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  bool(field: number, value: boolean): this {
    this.tag(field, 0);
    this.varint(value ? 1 : 0);
    return this;
  }

  fixed64(field: number, value: bigint): this {
    this.tag(field, 1);
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(value);
    this.push(b);
    return this;
  }

  fixed32(field: number, value: number): this {
    this.tag(field, 5);
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    this.push(b);
    return this;
  }

  double(field: number, value: number): this {
    this.tag(field, 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Buffer): this {
    this.tag(field, 2);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string | undefined): this {
    return value ? this.bytes(field, Buffer.from(value, 'utf8')) : this;
  }

  message(field: number, write: (w: Writer) => void): this {
    const inner = new Writer();
    write(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

function anyValue(w: Writer, value: AttributeValue): void {
  if (typeof value === 'string') w.bytes(1, Buffer.from(value, 'utf8'));
  else if (typeof value === 'boolean') w.bool(2, value);
  else if (typeof value === 'number') {
    if (Number.isInteger(value)) w.int(3, value);
    else w.double(4, value);
  } else w.message(5, (array) => value.forEach((v) => array.message(1, (item) => item.bytes(1, Buffer.from(v, 'utf8')))));
}

function keyValues(w: Writer, field: number, attributes: Record<string, AttributeValue>): void {
  for (const [key, value] of Object.entries(attributes)) {
    w.message(field, (kv) => kv.string(1, key).message(2, (v) => anyValue(v, value)));
  }
}

export function encodeProtobuf(resource: Record<string, AttributeValue>, spans: readonly Span[]): Buffer {
  return new Writer()
    .message(1, (rs) =>
      rs
        .message(1, (r) => keyValues(r, 1, resource))
        .message(2, (ss) => {
          ss.message(1, (scope) => scope.string(1, SCOPE.name).string(2, SCOPE.version));
          for (const span of spans) {
            ss.message(2, (s) => {
              s.bytes(1, Buffer.from(span.context.traceId, 'hex')).bytes(2, Buffer.from(span.context.spanId, 'hex'));
              s.string(3, span.context.traceState);
              if (span.parentSpanId) s.bytes(4, Buffer.from(span.parentSpanId, 'hex'));
              s.string(5, span.name).uint(6, span.kind);
              s.fixed64(7, nanos(span.startMs)).fixed64(8, nanos(span.endMs));
              keyValues(s, 9, span.attributes);
              s.message(15, (status) => status.string(2, span.status.message).uint(3, span.status.code));
              s.fixed32(16, flagsOf(span));
            });
          }
        }),
    )
    .finish();
}
