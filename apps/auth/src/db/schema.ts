import type { Database } from '@apps/shared';
import type { Generated } from 'kysely';

/** Every oidc-provider model, one row each; secondary keys are columns so they can be indexed. */
export interface OidcModelTable {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  consumed_at: number | null;
  /** Epoch milliseconds; null never expires. */
  expires_at: number | null;
  /** Grants only (0006): whose grant it is and to which client, so the CLI can find them. */
  account_id: string | null;
  client_id: string | null;
  /**
   * 1: `id` is the keyed hash of a secret-keyed model's id (0009, db/secret-ids.ts); 0 for the other
   * models, and for rows of those models written before 0009 until they are converted.
   */
  id_hashed: Generated<number>;
}

/** Clients added with `pnpm kit clients add` (0006); static clients stay in env, registered ones in oidc_models. */
export interface ClientTable {
  client_id: string;
  /** The client's metadata as oidc-provider takes it (JSON), secret included. */
  metadata: string;
  /** Epoch milliseconds; a disabled client is unknown to the OP (invalid_client). */
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
}

/** The local customer store (sub = customer id). */
export interface UserTable {
  id: string;
  /** Null for a customer provisioned from an upstream IdP that sent no email. */
  email: string | null;
  name: string;
  email_verified: number;
  /** Null: no local password (upstream customers, imports without one until set-password). */
  password_hash: string | null;
  blocked: number;
  created_at: number;
  updated_at: number;
}

/**
 * Login limits and lockout before migration 0004 (now login_rate_limit and login_lockout, tables
 * of the shared RateCounter): written only by instances of an older release, swept until dropped.
 */
export interface RateLimitTable {
  key: string;
  count: number;
  reset_at: number;
}

export interface AuditEventTable {
  id: string;
  at: number;
  type: string;
  actor: string | null;
  client_id: string | null;
  ip: string | null;
  detail: string | null;
}

export interface OpSecretTable {
  name: string;
  value: string;
  created_at: number;
}

/** Signing keys managed with `pnpm kit keys` (0007); states follow from the times (keys/key-store.ts). */
export interface SigningKeyTable {
  kid: string;
  alg: string;
  /** The private JWK, AES-GCM sealed with KEYS_ENCRYPTION_KEY (keys/key-cipher.ts). */
  private_jwk: string;
  /** Epoch ms: published in the JWKS since. */
  created_at: number;
  /** Epoch ms: signs from (null: not until promoted). */
  signing_from: number | null;
  retired_at: number | null;
}

/** A customer's consent to one client (0010, consents/consent-store.ts); one per grant. */
export interface ConsentTable {
  /** UUID v4: the access tokens' `fdxConsentId`. */
  id: string;
  grant_id: string;
  client_id: string;
  customer_id: string;
  /** ACTIVE, EXPIRED or REVOKED. */
  status: string;
  /** Space-separated scopes granted (OpenID and API). */
  scopes: string;
  /** JSON array of FDX accountIds; null: all the customer's accounts (the client skips selection). */
  account_ids: string | null;
  /** The consent's duration in days (FDX durationPeriod). */
  duration_days: number;
  /** Epoch milliseconds. */
  created_at: number;
  updated_at: number;
  expires_at: number;
  last_used_at: number | null;
  ended_at: number | null;
  /** customer, client, operator or system. */
  ended_by: string | null;
  end_reason: string | null;
  initiator: string | null;
}

/** Every consent status change, in commit order (the feed the API polls, and the revocation history). */
export interface ConsentChangeTable {
  seq: Generated<number>;
  consent_id: string;
  status: string;
  /** Epoch milliseconds. */
  at: number;
  ended_by: string;
  reason: string | null;
  initiator: string | null;
}

export interface AuthSchema {
  consents: ConsentTable;
  consent_changes: ConsentChangeTable;
  oidc_models: OidcModelTable;
  users: UserTable;
  rate_limits: RateLimitTable;
  audit_events: AuditEventTable;
  op_secrets: OpSecretTable;
  clients: ClientTable;
  signing_keys: SigningKeyTable;
}

export type AuthDatabase = Database<AuthSchema>;
