import { z } from 'zod';

/**
 * Tracing from OpenTelemetry's standard environment (the OTEL_* variables every SDK reads), so an
 * operator's existing collector settings work unchanged. Off unless an OTLP endpoint is set: no
 * endpoint, OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none means no spans, no middleware,
 * nothing exported. Only OTLP over HTTP is spoken (protobuf or JSON); a setting asking for anything
 * else (gRPC, a Zipkin exporter, an unknown sampler) is refused at start-up instead of ignored.
 */

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

export interface TracingConfig {
  /** The OTLP/HTTP traces URL (…/v1/traces). */
  endpoint: string;
  protocol: OtlpProtocol;
  /** Sent with every export (a collector's API key); never logged. */
  headers: Record<string, string>;
  compression: 'gzip' | 'none';
  timeoutMs: number;
  /** service.name, OTEL_RESOURCE_ATTRIBUTES and service.instance.id when the caller adds it. */
  resource: Record<string, string>;
  sampler: { name: SamplerName; ratio: number };
  batch: { maxQueueSize: number; maxExportBatchSize: number; scheduleDelayMs: number; exportTimeoutMs: number };
}

const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v?.trim() ? v.trim() : undefined));

const count = (fallback: number, min: number) => z.coerce.number().int().min(min).max(1_000_000).default(fallback);

const endpointUrl = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
  z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
);

const protocol = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const value = v?.trim() || undefined;
    if (value === undefined || value === 'http/protobuf' || value === 'http/json') return value;
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is not supported: use http/protobuf (the default) or http/json${value === 'grpc' ? ' (gRPC is not spoken; point at the collector\'s OTLP/HTTP port, usually 4318)' : ''}`,
    });
    return z.NEVER;
  });

/** `key=value,key2=value2` with percent-encoded values (OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES). */
function keyValueList(name: string) {
  return optionalText.transform((v, ctx) => {
    const result: Record<string, string> = {};
    if (v === undefined) return result;
    for (const entry of v.split(',')) {
      if (!entry.trim()) continue;
      const at = entry.indexOf('=');
      const key = at > 0 ? entry.slice(0, at).trim() : '';
      if (!key) {
        ctx.addIssue({ code: 'custom', message: `${name}: each entry must be key=value` });
        return z.NEVER;
      }
      try {
        result[key] = decodeURIComponent(entry.slice(at + 1).trim());
      } catch {
        ctx.addIssue({ code: 'custom', message: `${name}: the value of "${key}" is not valid percent-encoding` });
        return z.NEVER;
      }
    }
    return result;
  });
}

/** The OTEL_* variables, one schema fragment for every app's env schema (like metricsEnv). */
export const tracingEnv = {
  OTEL_SDK_DISABLED: z.enum(['true', 'false', '']).optional(),
  OTEL_TRACES_EXPORTER: z
    .enum(['otlp', 'none', ''], { message: 'only "otlp" (or "none") is supported' })
    .optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: endpointUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpointUrl,
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol,
  OTEL_EXPORTER_OTLP_HEADERS: keyValueList('OTEL_EXPORTER_OTLP_HEADERS'),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: keyValueList('OTEL_EXPORTER_OTLP_TRACES_HEADERS'),
  OTEL_EXPORTER_OTLP_COMPRESSION: z.enum(['gzip', 'none', '']).optional(),
  OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: z.enum(['gzip', 'none', '']).optional(),
  OTEL_EXPORTER_OTLP_TIMEOUT: count(10_000, 1),
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: z.coerce.number().int().min(1).max(1_000_000).optional(),
  OTEL_SERVICE_NAME: optionalText,
  OTEL_RESOURCE_ATTRIBUTES: keyValueList('OTEL_RESOURCE_ATTRIBUTES'),
  OTEL_TRACES_SAMPLER: z.enum([...SAMPLERS, ''], { message: `must be one of ${SAMPLERS.join(', ')}` }).optional(),
  OTEL_TRACES_SAMPLER_ARG: optionalText,
  OTEL_BSP_MAX_QUEUE_SIZE: count(2048, 1),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: count(512, 1),
  OTEL_BSP_SCHEDULE_DELAY: count(5000, 0),
  OTEL_BSP_EXPORT_TIMEOUT: count(30_000, 1),
};

type TracingEnv = z.output<z.ZodObject<typeof tracingEnv>>;

/**
 * The tracing settings from the parsed OTEL_* fragment, or undefined when tracing is off.
 * Problems (a sampler ratio outside 0..1) go to `ctx` so loadConfig reports them with the rest.
 */
export function tracingConfig(e: TracingEnv, defaultServiceName: string, ctx?: z.RefinementCtx): TracingConfig | undefined {
  const ratio = samplerRatio(e.OTEL_TRACES_SAMPLER || 'parentbased_always_on', e.OTEL_TRACES_SAMPLER_ARG);
  if (ratio === undefined) {
    ctx?.addIssue({ code: 'custom', path: ['OTEL_TRACES_SAMPLER_ARG'], message: 'must be a number from 0 to 1 (the share of traces sampled)' });
    return undefined;
  }
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, '');
  const endpoint = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base === undefined ? undefined : `${base}/v1/traces`);
  if (e.OTEL_SDK_DISABLED === 'true' || e.OTEL_TRACES_EXPORTER === 'none' || endpoint === undefined) return undefined;
  if (e.OTEL_BSP_MAX_EXPORT_BATCH_SIZE > e.OTEL_BSP_MAX_QUEUE_SIZE) {
    ctx?.addIssue({ code: 'custom', path: ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE'], message: 'must not exceed OTEL_BSP_MAX_QUEUE_SIZE' });
    return undefined;
  }
  return {
    endpoint,
    protocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    headers: { ...e.OTEL_EXPORTER_OTLP_HEADERS, ...e.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
    compression: e.OTEL_EXPORTER_OTLP_TRACES_COMPRESSION || e.OTEL_EXPORTER_OTLP_COMPRESSION || 'none',
    timeoutMs: e.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? e.OTEL_EXPORTER_OTLP_TIMEOUT,
    resource: { ...e.OTEL_RESOURCE_ATTRIBUTES, 'service.name': e.OTEL_SERVICE_NAME ?? e.OTEL_RESOURCE_ATTRIBUTES['service.name'] ?? defaultServiceName },
    sampler: { name: e.OTEL_TRACES_SAMPLER || 'parentbased_always_on', ratio },
    batch: {
      maxQueueSize: e.OTEL_BSP_MAX_QUEUE_SIZE,
      maxExportBatchSize: e.OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
      scheduleDelayMs: e.OTEL_BSP_SCHEDULE_DELAY,
      exportTimeoutMs: e.OTEL_BSP_EXPORT_TIMEOUT,
    },
  };
}

/** OTEL_TRACES_SAMPLER_ARG for the ratio samplers (default 1); undefined when it is not a ratio. */
function samplerRatio(sampler: string, arg: string | undefined): number | undefined {
  if (!sampler.endsWith('traceidratio') || arg === undefined) return 1;
  const ratio = Number(arg);
  return Number.isFinite(ratio) && ratio >= 0 && ratio <= 1 ? ratio : undefined;
}
