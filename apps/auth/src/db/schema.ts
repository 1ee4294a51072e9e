import type { Database } from '@apps/shared';

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

export interface AuthSchema {
  oidc_models: OidcModelTable;
  users: UserTable;
  rate_limits: RateLimitTable;
  audit_events: AuditEventTable;
  op_secrets: OpSecretTable;
}

export type AuthDatabase = Database<AuthSchema>;
