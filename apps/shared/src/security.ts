import type { Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

export interface WebHeadersOptions {
  /** Origins a form may submit to or be redirected to (the OP redirects form posts to clients). */
  formAction?: string[];
  /** Extra origins pages may fetch from. */
  connectSrc?: string[];
}

/**
 * Helmet's headers, computed once: helmet runs a dozen middlewares per request, while with
 * static options (no per-request nonces) its output never changes. The preset is run once
 * against a recording response at start-up; each request then gets the recorded headers.
 */
export function fixedHeaders(middleware: RequestHandler): RequestHandler {
  const headers: [string, string][] = [];
  const removed: string[] = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => headers.push([name, String(value)]),
    removeHeader: (name: string) => removed.push(name),
  };
  let nextCalled = false;
  middleware({} as Request, recorder as unknown as Response, (err?: unknown) => {
    if (err) throw err instanceof Error ? err : new Error('security headers: the preset failed');
    nextCalled = true;
  });
  if (!nextCalled) throw new Error('security headers: the preset must set its headers synchronously');
  return (_req, res, next) => {
    for (const name of removed) res.removeHeader(name);
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

/** Pages: strict CSP without unsafe-inline, no framing, no referrer leakage. */
export function webSecurityHeaders(options: WebHeadersOptions = {}): RequestHandler {
  return fixedHeaders(helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'", ...(options.connectSrc ?? [])],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: options.formAction ?? ["'self'"],
        upgradeInsecureRequests: [],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
    strictTransportSecurity: { maxAge: 31536000, includeSubDomains: true },
  }));
}

/** JSON APIs: nothing to render, nothing to frame, nothing to cache. */
export function apiSecurityHeaders(): RequestHandler {
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: { maxAge: 31536000, includeSubDomains: true },
  });
  return fixedHeaders((req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    headers(req, res, next);
  });
}
