import { z } from 'zod';
import { dataClustersOf } from '../provider/scopes.js';
import type { Consent } from './consent-store.js';

/** FDX v6.3 ConsentGrant as the OP produces it (our own schema: there is no spec file for it). */
export const consentGrantSchema = z.strictObject({
  id: z.uuid(),
  status: z.enum(['ACTIVE', 'EXPIRED', 'REVOKED']),
  parties: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        type: z.enum(['DATA_RECIPIENT', 'DATA_PROVIDER']),
        homeUri: z.url().optional(),
        logoUri: z.url().optional(),
      }),
    )
    .min(2),
  createdTime: z.iso.datetime(),
  updatedTime: z.iso.datetime(),
  expirationTime: z.iso.datetime(),
  durationType: z.literal('TIME_BOUND'),
  durationPeriod: z.number().int().positive(),
  resources: z.array(z.strictObject({ resourceType: z.literal('ACCOUNT'), resourceId: z.string().min(1), dataClusters: z.array(z.string()).min(1) })),
  /**
   * Consents without account selection (the client selects, all the customer's accounts): resources
   * is empty and the data clusters are stated here, on the consent itself.
   */
  dataClusters: z.array(z.string()).optional(),
});
export type ConsentGrant = z.output<typeof consentGrantSchema>;

/** The recipient as its client metadata names it. */
export interface Recipient {
  name: string;
  homeUri?: string | undefined;
  logoUri?: string | undefined;
}

const iso = (ms: number) => new Date(ms).toISOString();
const httpsUri = (uri: string | undefined) => (uri && URL.canParse(uri) ? uri : undefined);

/** A consent as an FDX ConsentGrant, validated before it leaves the OP. */
export function toConsentGrant(consent: Consent, recipient: Recipient, providerName: string): ConsentGrant {
  const clusters = dataClustersOf(consent.scopes);
  const homeUri = httpsUri(recipient.homeUri);
  const logoUri = httpsUri(recipient.logoUri);
  return consentGrantSchema.parse({
    id: consent.id,
    status: consent.status,
    parties: [
      { name: recipient.name, type: 'DATA_RECIPIENT', ...(homeUri ? { homeUri } : {}), ...(logoUri ? { logoUri } : {}) },
      { name: providerName, type: 'DATA_PROVIDER' },
    ],
    createdTime: iso(consent.createdAt),
    updatedTime: iso(consent.updatedAt),
    expirationTime: iso(consent.expiresAt),
    durationType: 'TIME_BOUND',
    durationPeriod: consent.durationDays,
    resources:
      consent.accountIds === null || clusters.length === 0
        ? []
        : consent.accountIds.map((resourceId) => ({ resourceType: 'ACCOUNT', resourceId, dataClusters: clusters })),
    ...(consent.accountIds === null ? { dataClusters: clusters } : {}),
  });
}
