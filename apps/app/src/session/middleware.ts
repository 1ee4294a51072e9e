import { randomBytes } from 'node:crypto';
import cookieParser from 'cookie-parser';
import type { CookieOptions, Request, RequestHandler, Response } from 'express';
import type { SessionStore, StoredSession } from './store.js';
import type { SessionData } from './types.js';

export interface SessionCookie {
  name: string;
  options: CookieOptions;
}

/** `__Host-` pins the cookie to this exact origin (Secure, Path=/, no Domain); only possible over https. */
export function sessionCookie(appUrl: string): SessionCookie {
  const secure = appUrl.startsWith('https://');
  return {
    name: secure ? '__Host-app-session' : 'app-session',
    options: { httpOnly: true, secure, sameSite: 'lax', path: '/', signed: true },
  };
}

/** Per-request access to the server-side session: the cookie carries only its random id. */
export class SessionContext {
  constructor(
    private readonly res: Response,
    private readonly store: SessionStore,
    private readonly cookie: SessionCookie,
    private readonly ttlSeconds: number,
    public current: StoredSession | undefined,
  ) {}

  get data(): SessionData | undefined {
    return this.current?.data;
  }

  /** The existing session, or a new anonymous one (it carries the pending login and CSRF token). */
  async ensure(ttlSeconds = this.ttlSeconds): Promise<StoredSession> {
    if (this.current) return this.current;
    this.current = await this.store.create({ csrf: randomBytes(24).toString('base64url') }, ttlSeconds);
    this.setCookie();
    return this.current;
  }

  /** Re-reads the session from the store (another request may have changed it meanwhile). */
  async reload(): Promise<StoredSession | undefined> {
    if (!this.current) return undefined;
    this.current = await this.store.get(this.current.id);
    return this.current;
  }

  async save(): Promise<void> {
    if (this.current) await this.store.save(this.current);
  }

  /** Replaces the session id (and refreshes the lifetime) keeping the data, with a fresh CSRF token. */
  async rotate(): Promise<StoredSession> {
    const session = await this.ensure();
    session.data.csrf = randomBytes(24).toString('base64url');
    this.current = await this.store.rotate(session, this.ttlSeconds);
    this.setCookie();
    return this.current;
  }

  async destroy(): Promise<void> {
    if (this.current) await this.store.destroy(this.current.id);
    this.current = undefined;
    const { signed: _signed, ...options } = this.cookie.options;
    this.res.clearCookie(this.cookie.name, options);
  }

  /** Sends the same session id again, signed with the newest secret. */
  resignCookie(): void {
    this.setCookie();
  }

  private setCookie(): void {
    if (!this.current) return;
    this.res.cookie(this.cookie.name, this.current.id, { ...this.cookie.options, expires: new Date(this.current.expiresAt * 1000) });
  }
}

/**
 * Reads the session named by the signed cookie (cookie-parser accepts every COOKIE_SECRET). A
 * cookie signed with an older secret is signed again with the newest, so the old secret can be
 * dropped later without logging this browser out.
 */
export function sessions(store: SessionStore, cookie: SessionCookie, ttlSeconds: number): RequestHandler {
  return async (req, res, next) => {
    const signed = (req.signedCookies as Record<string, unknown> | undefined)?.[cookie.name];
    const current = typeof signed === 'string' ? await store.get(signed) : undefined;
    const context = new SessionContext(res, store, cookie, ttlSeconds, current);
    res.locals.session = context;
    if (current && !signedWithNewest(req, cookie.name, current.id)) context.resignCookie();
    next();
  };
}

/** Whether the cookie as sent verifies under the newest secret alone (cookie-parser's `req.secret`). */
function signedWithNewest(req: Request, name: string, id: string): boolean {
  const sent = rawCookie(req.headers.cookie ?? '', name);
  return typeof req.secret === 'string' && sent !== undefined && cookieParser.signedCookie(sent, req.secret) === id;
}

/** The cookie's value as sent (still signed): cookie-parser keeps only the unsigned value. */
function rawCookie(header: string, name: string): string | undefined {
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function sessionOf(res: Response): SessionContext {
  return res.locals.session as SessionContext;
}

export function isLoggedIn(res: Response): boolean {
  return Boolean(sessionOf(res).data?.tokens);
}

export type { Request };
