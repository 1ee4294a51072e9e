import type { Request } from 'express';

/**
 * The client_id of HTTP Basic client authentication, if any (RFC 6749 §2.3.1: form-urlencoded).
 * Unverified: a claim anyone can make, fit to key failures, never to spend a client's allowance.
 */
export function basicClientId(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** The client a registration management request (`/reg/:id`) names. */
export function registrationClientId(req: Request): string | undefined {
  return typeof req.params.id === 'string' ? req.params.id : undefined;
}
