import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Service-to-service calls (CONSENT-CONTRACT §2): `Authorization: Bearer <INTERNAL_SECRET>`,
 * compared in constant time (over digests, so the length does not leak either); anything else
 * is 401 `{ "error": "unauthorized" }`.
 */
export function requireServiceSecret(secret: string): RequestHandler {
  const expected = digest(`Bearer ${secret}`);
  return (req, res, next) => {
    const given = req.headers.authorization;
    if (given !== undefined && timingSafeEqual(digest(given), expected)) return next();
    res.status(401).json({ error: 'unauthorized' });
  };
}
