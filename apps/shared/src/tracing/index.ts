export { tracingEnv, tracingConfig, type TracingConfig, type OtlpProtocol, type SamplerName } from './config.js';
export { activeSpan, withSpan, outsideSpans, traceLogFields, parseTraceparent, formatTraceparent, type SpanContext } from './context.js';
export { Span, SpanKind, StatusCode, type AttributeValue } from './span.js';
export { Tracer, createTracer } from './tracer.js';
export { traceRequests, type TraceRequestsOptions } from './http-server.js';
export { tracedDialect, type DbSystem } from './db.js';
export { instrumentFetch } from './fetch.js';
