// An HTTPS origin on loopback serving AI assistants' client ID metadata documents (the MCP
// authorization spec's client_id URLs), with a certificate from a throwaway test CA; and a fetch
// that trusts that CA, for an OP running in the test process. Each document can be made slow,
// oversized or failing, and every request is counted.
import { request as httpsRequest, createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { TestCertificates } from './certs.js';

export interface ServedDocument {
  /** The JSON sent (an object is serialised; a string is sent as is). */
  body: unknown;
  status?: number;
  headers?: Record<string, string>;
  /** Wait this long before answering (a slow host). */
  delayMs?: number;
}

export interface DocumentOrigin {
  /** `https://localhost:<port>`. */
  origin: string;
  /** The test CA (PEM) that issued the origin's certificate: what the OP must trust. */
  caPem: string;
  caFile: string;
  url(path: string): string;
  /** Serves `path` from now on (replacing what it served). */
  serve(path: string, document: ServedDocument): void;
  /** Requests received for `path`. */
  hits(path: string): number;
  close(): Promise<void>;
}

/** A client ID metadata document for `clientId`, an MCP client with a loopback redirect (public, PKCE). */
export function agentDocument(clientId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_id: clientId,
    client_name: 'Pocket Assistant',
    client_uri: 'https://assistant.example/',
    redirect_uris: ['http://127.0.0.1:33418/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    ...overrides,
  };
}

export async function startDocumentOrigin(): Promise<DocumentOrigin> {
  const certs = new TestCertificates('CN=Kit Test Agents CA,O=Kit Tests');
  const cert = certs.issueServer(['localhost', '127.0.0.1']);
  const documents = new Map<string, ServedDocument>();
  const counts = new Map<string, number>();
  const server: Server = createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://localhost').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const doc = documents.get(path);
    const answer = () => {
      if (!doc) return res.writeHead(404).end();
      const body = typeof doc.body === 'string' ? doc.body : JSON.stringify(doc.body);
      res.writeHead(doc.status ?? 200, { 'content-type': 'application/json', ...doc.headers }).end(body);
    };
    if (doc?.delayMs) setTimeout(answer, doc.delayMs).unref();
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `https://localhost:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    caPem: certs.caPem,
    caFile: certs.caFile,
    url: (path) => `${origin}${path}`,
    serve: (path, document) => void documents.set(path, document),
    hits: (path) => counts.get(path) ?? 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      certs.cleanup();
    },
  };
}

/**
 * WHATWG fetch over node:https trusting `caPem` (and not the system CAs): what an in-process OP
 * uses to reach a DocumentOrigin. Honours `signal`, streams the body; GET/HEAD only.
 */
export function fetchTrusting(caPem: string): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = input instanceof Request ? input.url : input.toString();
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, key) => (headers[key] = value));
      const req = httpsRequest(url, { method: init.method ?? 'GET', headers, ca: caPem, signal: init.signal ?? undefined }, (res) => {
        const out = new Headers();
        for (const [name, value] of Object.entries(res.headers)) for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) out.append(name, v);
        const status = res.statusCode ?? 0;
        const empty = status === 204 || status === 304;
        resolve(new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, headers: out }));
      });
      req.on('error', reject);
      req.end();
    });
}
