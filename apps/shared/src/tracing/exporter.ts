import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Logger } from 'pino';
import type { TracingConfig } from './config.js';
import { outsideSpans } from './context.js';
import { encodeJson, encodeProtobuf } from './otlp.js';
import type { AttributeValue, Span, SpanSink } from './span.js';

const gzipAsync = promisify(gzip);

/** How often a failing collector is reported in the log, at most. */
const WARN_INTERVAL_MS = 60_000;

/**
 * OpenTelemetry's batch span processor and OTLP/HTTP exporter in one: finished spans wait in a
 * bounded queue and leave every OTEL_BSP_SCHEDULE_DELAY ms or as soon as a batch is full, one
 * export at a time. While the collector is slow or down the queue fills and further spans are
 * dropped and counted: a request is never delayed and memory stays bounded (the queue plus the
 * one batch in flight). `shutdown` sends what is left.
 */
export class BatchExporter implements SpanSink {
  private queue: Span[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The export loop, while it runs. */
  private sending: Promise<void> | undefined;
  private dropped = 0;
  private lastWarning = 0;
  private closed = false;

  constructor(
    private readonly config: TracingConfig,
    private readonly resource: Record<string, AttributeValue>,
    private readonly logger?: Logger,
  ) {}

  onEnd(span: Span): void {
    if (this.closed) return;
    if (this.queue.length >= this.config.batch.maxQueueSize) {
      this.warn(1, 'the export queue is full (OTEL_BSP_MAX_QUEUE_SIZE)');
      return;
    }
    this.queue.push(span);
    if (this.queue.length >= this.config.batch.maxExportBatchSize) this.drain();
    else if (this.sending === undefined) this.timer ??= outsideSpans(() => setTimeout(() => this.drain(), this.config.batch.scheduleDelayMs).unref());
  }

  /** Sends every queued span now; resolves when the collector has answered (or the export timed out). */
  async flush(): Promise<void> {
    this.drain();
    await this.sending;
  }

  async shutdown(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private drain(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.sending === undefined && this.queue.length > 0) this.sending = outsideSpans(() => this.exportAll());
  }

  /** Takes a batch off the queue and sends it, until the queue is empty (spans keep arriving meanwhile). */
  private async exportAll(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.send(this.queue.splice(0, this.config.batch.maxExportBatchSize));
    } finally {
      this.sending = undefined;
    }
  }

  private async send(batch: Span[]): Promise<void> {
    const json = this.config.protocol === 'http/json';
    let body: Buffer = json ? Buffer.from(encodeJson(this.resource, batch)) : encodeProtobuf(this.resource, batch);
    const headers: Record<string, string> = { ...this.config.headers, 'content-type': json ? 'application/json' : 'application/x-protobuf' };
    if (this.config.compression === 'gzip') {
      body = await gzipAsync(body);
      headers['content-encoding'] = 'gzip';
    }
    try {
      const res = await fetch(this.config.endpoint, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(Math.min(this.config.timeoutMs, this.config.batch.exportTimeoutMs)),
      });
      await res.arrayBuffer();
      if (!res.ok) this.warn(batch.length, `the collector answered HTTP ${res.status}`);
    } catch (err) {
      this.warn(batch.length, err instanceof Error ? `${err.name}: ${err.message}` : 'the export failed');
    }
  }

  /** Export failures are logged once a minute at most, with the endpoint (never the headers). */
  private warn(lost: number, reason: string): void {
    this.dropped += lost;
    const now = Date.now();
    if (now - this.lastWarning < WARN_INTERVAL_MS) return;
    this.lastWarning = now;
    this.logger?.warn({ endpoint: this.config.endpoint, droppedSpans: this.dropped, reason }, 'trace export failed; spans dropped');
  }

  /** Spans lost so far (queue full or export failed). */
  get droppedSpans(): number {
    return this.dropped;
  }
}
