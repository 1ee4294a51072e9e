import { subscribe } from 'node:diagnostics_channel';
import { activeSpan, formatTraceparent } from './context.js';
import { SpanKind, type Span } from './span.js';

/** The part of undici's request object its diagnostics channels show (Node's fetch is undici). */
interface UndiciRequest {
  origin: string;
  method: string;
  addHeader(name: string, value: string): unknown;
}

const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);

const spans = new WeakMap<UndiciRequest, Span>();
let instrumented = false;

/**
 * Outgoing fetch calls made inside a traced request (the JWKS, the consent feed, the account
 * catalog, the upstream IdP) become CLIENT spans, and carry `traceparent` so the service called
 * continues the trace. Calls outside any request (background polling) are left alone. Watches
 * undici's diagnostics channels, so no call site changes; subscribed once per process.
 * Recorded: method, scheme, host, port, status; never the path (it carries customer and account
 * ids), the query or headers.
 */
export function instrumentFetch(): void {
  if (instrumented) return;
  instrumented = true;
  subscribe('undici:request:create', (message) => {
    const { request } = message as { request: UndiciRequest };
    const parent = activeSpan();
    if (parent === undefined) return;
    if (!parent.recording) {
      request.addHeader('traceparent', formatTraceparent(parent.context));
      return;
    }
    const method = KNOWN_METHODS.has(request.method) ? request.method : '_OTHER';
    const span = parent.child(method, SpanKind.CLIENT);
    spans.set(request, span);
    request.addHeader('traceparent', formatTraceparent(span.context));
    if (span.context.traceState) request.addHeader('tracestate', span.context.traceState);
    try {
      const url = new URL(request.origin);
      span
        .setAttribute('http.request.method', method)
        .setAttribute('server.address', url.hostname)
        .setAttribute('server.port', Number(url.port || (url.protocol === 'https:' ? 443 : 80)))
        .setAttribute('url.scheme', url.protocol.slice(0, -1));
    } catch {
      // An origin undici accepted but URL does not: the span keeps its method only.
    }
  });
  subscribe('undici:request:headers', (message) => {
    const { request, response } = message as { request: UndiciRequest; response: { statusCode: number } };
    const span = spans.get(request);
    if (span === undefined) return;
    span.setAttribute('http.response.status_code', response.statusCode);
    if (response.statusCode >= 400) span.fail().setAttribute('error.type', String(response.statusCode));
  });
  subscribe('undici:request:trailers', (message) => {
    const { request } = message as { request: UndiciRequest };
    spans.get(request)?.end();
    spans.delete(request);
  });
  subscribe('undici:request:error', (message) => {
    const { request, error } = message as { request: UndiciRequest; error: unknown };
    const span = spans.get(request);
    if (span === undefined) return;
    const code = (error as { code?: unknown } | undefined)?.code;
    span.fail().setAttribute('error.type', typeof code === 'string' ? code : error instanceof Error ? error.name : 'error').end();
    spans.delete(request);
  });
}
