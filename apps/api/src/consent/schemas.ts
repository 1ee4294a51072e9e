import { z } from 'zod';

/**
 * The FDX consent API's shapes (FDX v6.3 consent schema; Plaid's Core Exchange spec has none, so
 * they are written here). The OP builds them (CONSENT-CONTRACT §5); the API checks what it relays.
 */

const timestamp = z.iso.datetime({ offset: true });

export const consentParty = z.object({
  name: z.string().min(1),
  type: z.enum(['DATA_RECIPIENT', 'DATA_PROVIDER', 'DATA_ACCESS_PLATFORM', 'INDIVIDUAL', 'MERCHANT', 'VENDOR']),
  homeUri: z.url().optional(),
  logoUri: z.url().optional(),
});

export const consentResource = z.object({
  resourceType: z.enum(['ACCOUNT', 'CUSTOMER', 'DOCUMENT']),
  resourceId: z.string().min(1),
  dataClusters: z.array(z.string().min(1)),
});

/** FDX ConsentGrant. Extra fields the OP adds (e.g. the clusters of a consent without account selection) pass through. */
export const consentGrant = z.looseObject({
  id: z.string().min(1),
  status: z.enum(['ACTIVE', 'EXPIRED', 'REVOKED']),
  parties: z.array(consentParty).min(1),
  createdTime: timestamp,
  updatedTime: timestamp.optional(),
  expirationTime: timestamp.optional(),
  durationType: z.enum(['ONE_TIME', 'PERSISTENT', 'TIME_BOUND']).optional(),
  durationPeriod: z.number().int().nonnegative().optional(),
  resources: z.array(consentResource),
});

export const consentRevocation = z.object({
  status: z.enum(['REVOKED', 'EXPIRED']),
  reason: z.string().min(1).optional(),
  initiator: z.string().optional(),
  updatedTime: timestamp,
});

/** FDX ConsentRevocationRequest: the body of PUT /consents/{consentId}/revocation. */
export const consentRevocationRequest = z.object(
  {
    reason: z.enum(['BUSINESS_RULE', 'USER_ACTION'], { error: '"reason" must be BUSINESS_RULE or USER_ACTION' }),
    initiator: z
      .string({ error: '"initiator" must be a string (who asked for the revocation)' })
      .trim()
      .min(1, '"initiator" must not be empty')
      .max(256, '"initiator" must be at most 256 characters'),
  },
  { error: 'The body must be a JSON object with "reason" and "initiator"' },
);

/** What the OP answers (CONSENT-CONTRACT §5). */
export const opConsentAnswer = z.object({ consent: consentGrant });
export const opRevocationsAnswer = z.object({ revocations: z.array(consentRevocation) });
export const opBadRequest = z.object({ error: z.literal('invalid_request'), field: z.string().min(1).max(64) });
