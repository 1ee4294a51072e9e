// HTTP for scripted clients: answers read whole (status, headers, body text, which instance
// answered), redirects returned rather than followed. Plain fetch for loopback http; `Https` for
// the stack behind Caddy, verifying TLS against the run's CA (no TLS bypass) with keep-alive.
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';

export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpReply {
  status: number;
  headers: Headers;
  body: string;
  /** The Location header as sent (possibly relative). */
  location: string | undefined;
  /** X-Served-By: the instance that answered (the stack's INSTANCE_ID), '' when absent. */
  servedBy: string;
  json<T = Record<string, unknown>>(): T;
}

/** Something that sends one request and answers it whole: `plainHttp`, an `Https`. */
export interface HttpClient {
  fetch(url: string, request?: HttpRequest): Promise<HttpReply>;
}

export function httpReply(status: number, headers: Headers, body: string): HttpReply {
  return {
    status,
    headers,
    body,
    location: headers.get('location') ?? undefined,
    servedBy: headers.get('x-served-by') ?? '',
    json: <T>() => JSON.parse(body) as T,
  };
}

/** Node's fetch: http, or https trusting the system CAs only. */
export const plainHttp: HttpClient = {
  async fetch(url, request = {}) {
    const res = await fetch(url, { ...request, redirect: 'manual' });
    return httpReply(res.status, res.headers, await res.text());
  },
};

function toHeaders(incoming: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
  }
  return headers;
}

/** Where to connect for a URL's host instead of resolving it (like curl's --connect-to). */
export type ConnectTo = (url: URL) => { host: string; port: number } | undefined;

function send(url: string, request: HttpRequest, options: { ca?: Buffer | undefined; agent?: Agent; timeoutMs: number; connectTo?: ConnectTo }): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    // The URL's name stays in the Host header and in TLS (SNI, certificate check); only the socket goes elsewhere.
    const via = options.connectTo?.(target);
    const route = via ? { hostname: via.host, port: via.port, servername: target.hostname, headers: { host: target.host, ...request.headers } } : { headers: request.headers };
    const req = httpsRequest(
      url,
      { method: request.method ?? 'GET', ...route, ca: options.ca, agent: options.agent, timeout: options.timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(httpReply(res.statusCode ?? 0, toHeaders(res.headers), body)));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(request.body);
  });
}

/** A TLS client certificate and its private key (PEM), presented when a server asks (mutual TLS). */
export interface ClientCertificate {
  cert: string;
  key: string;
}

export interface HttpsOptions {
  /** Sends requests for public names (e.g. a production compose stack's) to a local port. */
  connectTo?: ConnectTo;
  /** Presented when the server asks for one (mutual TLS). */
  clientCertificate?: ClientCertificate;
}

/** HTTPS verified against `ca` (e.g. the stack's bundle), over keep-alive connections. */
export class Https implements HttpClient {
  private readonly agent: Agent;
  private readonly connectTo: ConnectTo | undefined;
  constructor(ca: Buffer, maxSockets = 256, options: HttpsOptions = {}) {
    this.agent = new Agent({ ca, keepAlive: true, maxSockets, ...options.clientCertificate });
    this.connectTo = options.connectTo;
  }

  fetch(url: string, request: HttpRequest = {}): Promise<HttpReply> {
    return send(url, request, { agent: this.agent, timeoutMs: 30_000, connectTo: this.connectTo });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * A WHATWG fetch over `http` (e.g. an `Https` trusting the stack's CA), for libraries that take a
 * fetch, such as the MCP SDK's client. String and form bodies only; answers are read whole.
 */
export function webFetch(http: HttpClient): (url: string | URL, init?: RequestInit) => Promise<Response> {
  return async (url, init = {}) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, key) => (headers[key] = value));
    let body: string | undefined;
    if (typeof init.body === 'string') body = init.body;
    else if (init.body instanceof URLSearchParams) {
      body = init.body.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else if (init.body != null) throw new Error('webFetch: only string and form bodies');
    const reply = await http.fetch(url.toString(), { method: init.method ?? 'GET', headers, ...(body === undefined ? {} : { body }) });
    const empty = reply.status === 204 || reply.status === 304;
    return new Response(empty ? null : reply.body, { status: reply.status, headers: reply.headers });
  };
}

/** One GET over HTTPS verifying the server against `ca` (undefined: the system CAs only). */
export function httpsGet(url: string, ca: Buffer | undefined): Promise<HttpReply> {
  return send(url, {}, { ca, timeoutMs: 5_000 });
}

/** Status codes a client retries: Caddy's 502/503 while an instance dies, or an OP/API outage answer. */
const RETRYABLE = new Set([502, 503, 504]);

/**
 * Retries connection errors and 502/503/504 a few times, like a production client. `retries`
 * counts what happened, for the report.
 */
export async function withRetry(send: () => Promise<HttpReply>, stats?: { retries: number }, attempts = 20): Promise<HttpReply> {
  let last: unknown;
  for (let i = 0; i < attempts; i += 1) {
    try {
      const res = await send();
      if (!RETRYABLE.has(res.status)) return res;
      last = new Error(`HTTP ${res.status}: ${res.body.slice(0, 200)}`);
    } catch (err) {
      last = err;
    }
    if (stats) stats.retries += 1;
    await new Promise((r) => setTimeout(r, 100 + i * 50));
  }
  throw last instanceof Error ? last : new Error(String(last));
}
