import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '@apps/shared';
import { sessionOf } from './middleware.js';

export class CsrfError extends AppError {
  constructor() {
    super(403, 'csrf', 'This form expired or was not sent from this app. Go back, reload the page and try again.');
  }
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Synchronizer token for every state-changing form: the hidden `_csrf` field must equal the
 * token in the server-side session, and a browser-sent Origin must be the app's own.
 */
export function requireCsrf(appUrl: string): RequestHandler {
  const appOrigin = new URL(appUrl).origin;
  return (req, res, next) => {
    const origin = req.get('origin');
    if (origin && origin !== appOrigin) return next(new CsrfError());
    const expected = sessionOf(res).data?.csrf;
    const body = req.body as Record<string, unknown> | undefined;
    const sent = typeof body?._csrf === 'string' ? body._csrf : '';
    if (!expected || !sent || !sameToken(sent, expected)) return next(new CsrfError());
    next();
  };
}
