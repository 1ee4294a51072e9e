import { newSpanId, type SpanContext } from './context.js';

/** OTLP's SpanKind values. */
export const SpanKind = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** OTLP's status codes: unset, ok, error. */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export type AttributeValue = string | number | boolean | readonly string[];

/** Where a finished, sampled span goes (the tracer's batching exporter). */
export interface SpanSink {
  onEnd(span: Span): void;
}

/** Milliseconds since the Unix epoch, with sub-millisecond precision. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/**
 * One operation of a trace. A span of an unsampled trace still carries its context (the trace id
 * goes on log lines and to the services it calls) but records nothing and is never exported.
 */
export class Span {
  readonly attributes: Record<string, AttributeValue> = {};
  status: { code: number; message?: string } = { code: StatusCode.UNSET };
  readonly startMs = nowMs();
  endMs = 0;
  private ended = false;

  constructor(
    private readonly sink: SpanSink,
    public name: string,
    readonly kind: SpanKind,
    readonly context: SpanContext,
    readonly parentSpanId: string | undefined,
    /** The parent is another process's span (a caller's traceparent). */
    readonly parentIsRemote = false,
  ) {}

  get recording(): boolean {
    return this.context.sampled;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (this.context.sampled && value !== undefined) this.attributes[key] = value;
    return this;
  }

  /** Marks the span failed; `message` must say what went wrong without secrets (an error class, a code). */
  fail(message?: string): this {
    this.status = message === undefined ? { code: StatusCode.ERROR } : { code: StatusCode.ERROR, message };
    return this;
  }

  /** A span of the same trace, begun now, whose parent is this one. */
  child(name: string, kind: SpanKind): Span {
    const { traceId, sampled, traceState } = this.context;
    return new Span(this.sink, name, kind, { traceId, spanId: newSpanId(), sampled, traceState }, this.context.spanId);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.endMs = nowMs();
    if (this.context.sampled) this.sink.onEnd(this);
  }
}
