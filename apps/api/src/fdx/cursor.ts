import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { badRequest } from '../errors.js';

/**
 * Opaque page cursors: the keyset position of the last item served plus what it was
 * served for (resource, account, range), signed with HMAC so a tampered or foreign
 * cursor is a 400, never a different query.
 */
const payloadSchema = z.object({
  r: z.string(),
  a: z.string().optional(),
  k: z.array(z.union([z.string(), z.number()])).min(1).max(4),
  f: z.tuple([z.number(), z.number()]).optional(),
});

export type CursorPayload = z.output<typeof payloadSchema>;

const MAX_CURSOR_LENGTH = 1024;

export class CursorCodec {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(secret, 'utf8');
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, 16);
  }

  encode(payload: CursorPayload): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  /** The payload, when the cursor is intact and was issued for this resource and account. */
  decode(cursor: string, resource: string, accountId?: string): CursorPayload {
    const invalid = () => badRequest('The page cursor is invalid; use the nextOffset value from the previous page unchanged');
    if (cursor.length > MAX_CURSOR_LENGTH) throw invalid();
    const [body, signature, extra] = cursor.split('.');
    if (!body || !signature || extra !== undefined) throw invalid();
    const given = Buffer.from(signature, 'base64url');
    const expected = this.mac(body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw invalid();
    }
    const result = payloadSchema.safeParse(parsed);
    if (!result.success || result.data.r !== resource || result.data.a !== accountId) throw invalid();
    return result.data;
  }
}
