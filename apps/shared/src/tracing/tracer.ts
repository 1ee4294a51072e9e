import type { Logger } from 'pino';
import { defaultInstanceId } from '../lifecycle.js';
import type { TracingConfig } from './config.js';
import { newSpanId, newTraceId, type SpanContext } from './context.js';
import { BatchExporter } from './exporter.js';
import { instrumentFetch } from './fetch.js';
import { createSampler, type Sampler } from './sampler.js';
import { Span, type SpanKind } from './span.js';

/**
 * A service's tracer: starts the spans that begin a trace in this process (a request, continued
 * from the caller's `traceparent` or new), decides by the configured sampler whether it is
 * recorded, and exports what is. Spans below (queries, outgoing calls) are children of the active
 * span and need no tracer.
 */
export class Tracer {
  private readonly sampler: Sampler;
  readonly exporter: BatchExporter;

  constructor(config: TracingConfig, options: { logger?: Logger; instanceId?: string } = {}) {
    this.sampler = createSampler(config.sampler);
    this.exporter = new BatchExporter(
      config,
      {
        'service.instance.id': options.instanceId ?? defaultInstanceId(),
        'telemetry.sdk.language': 'nodejs',
        'telemetry.sdk.name': '@apps/shared/tracing',
        'process.runtime.name': 'nodejs',
        'process.runtime.version': process.versions.node,
        ...config.resource,
      },
      options.logger,
    );
    instrumentFetch();
  }

  /** A span starting a trace in this process: the caller's when `remote` is given, else a new one. */
  startSpan(name: string, kind: SpanKind, remote?: SpanContext): Span {
    const traceId = remote?.traceId ?? newTraceId();
    const context: SpanContext = { traceId, spanId: newSpanId(), sampled: this.sampler(traceId, remote), traceState: remote?.traceState };
    return new Span(this.exporter, name, kind, context, remote?.spanId, remote !== undefined);
  }

  /** Exports what is queued; for shutdown (after the server stopped taking requests). */
  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }
}

/** The tracer for a service's config, or undefined when tracing is off (no OTLP endpoint set). */
export function createTracer(config: TracingConfig | undefined, options: { logger?: Logger; instanceId?: string } = {}): Tracer | undefined {
  return config === undefined ? undefined : new Tracer(config, options);
}
