import type { SpanContext } from './context.js';
import type { TracingConfig } from './config.js';

/** Whether a new trace (or one continued from a caller) is recorded. */
export type Sampler = (traceId: string, parent: SpanContext | undefined) => boolean;

/**
 * OpenTelemetry's built-in samplers by their OTEL_TRACES_SAMPLER names. The ratio is decided by
 * the trace id alone (its last 52 bits, random in W3C ids), so every service that sees a trace
 * decides the same way; the parent-based ones follow the caller's sampled flag when there is one.
 */
export function createSampler({ name, ratio }: TracingConfig['sampler']): Sampler {
  const bound = Math.floor(ratio * 2 ** 52);
  const byRatio = (traceId: string) => ratio >= 1 || Number.parseInt(traceId.slice(-13), 16) < bound;
  const root: (traceId: string) => boolean =
    name.endsWith('always_on') ? () => true : name.endsWith('always_off') ? () => false : byRatio;
  if (!name.startsWith('parentbased_')) return (traceId) => root(traceId);
  return (traceId, parent) => (parent === undefined ? root(traceId) : parent.sampled);
}
