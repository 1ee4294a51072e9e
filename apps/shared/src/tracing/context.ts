import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { Span } from './span.js';

/** W3C Trace Context: who a span is, and whether its trace is recorded. */
export interface SpanContext {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** 16 lowercase hex digits, not all zero. */
  spanId: string;
  sampled: boolean;
  /** The caller's `tracestate`, passed on unchanged. */
  traceState?: string | undefined;
}

/**
 * The span of the work in progress (a request, with everything it awaits). Process-wide like
 * OpenTelemetry's own context: a database query or an outgoing call finds its parent here instead
 * of every layer passing it down. Nothing runs inside it while tracing is off.
 */
const active = new AsyncLocalStorage<Span>();

export function activeSpan(): Span | undefined {
  return active.getStore();
}

export function withSpan<T>(span: Span, fn: () => T): T {
  return active.run(span, fn);
}

/** Runs `fn` outside any span (the exporter's own calls must not become spans of a request). */
export function outsideSpans<T>(fn: () => T): T {
  return active.exit(fn);
}

/**
 * The fields that tie a log line to its trace (`trace_id`, `span_id`, as OpenTelemetry's log data
 * model names them); a fresh, empty object outside a trace (pino's mixin merges into it).
 */
export function traceLogFields(): Record<string, string> {
  const span = active.getStore();
  return span === undefined ? {} : { trace_id: span.context.traceId, span_id: span.context.spanId };
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * The caller's span from `traceparent` (and `tracestate`), or undefined when absent or malformed
 * (W3C: a bad header starts a new trace rather than failing the request). Version ff is invalid;
 * later versions are read by their version-00 prefix.
 */
export function parseTraceparent(header: unknown, traceState?: unknown): SpanContext | undefined {
  if (typeof header !== 'string' || header.length > 512) return undefined;
  const match = TRACEPARENT.exec(header.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  const state = typeof traceState === 'string' && traceState.length <= 512 ? traceState : undefined;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1, traceState: state };
}

export function formatTraceparent(context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-${context.sampled ? '01' : '00'}`;
}

/** Random ids come from a pool refilled 4 KiB at a time: one randomBytes call per ~250 spans. */
let pool = Buffer.alloc(0);
let offset = 0;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    pool = randomBytes(4096);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return /^0+$/.test(hex) ? randomHex(bytes) : hex;
}

export const newTraceId = (): string => randomHex(16);
export const newSpanId = (): string => randomHex(8);
