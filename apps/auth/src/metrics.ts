import { boundedLabel, Counter, Gauge, Histogram, ServiceMetrics, UNMATCHED_ROUTE } from '@apps/shared';
import type { Adapter } from 'oidc-provider';
import type { AuditEvent } from './audit/audit.js';
import { ENDED_BY } from './consents/consent-store.js';
import type { KeySet, PublishedKey } from './keys/key-ring.js';
import type { ClientAuthEndpoint } from './security/client-auth-throttle.js';

/** oidc-provider's own endpoints (default routes), served outside Express routes: their templates. */
const PROVIDER_PATHS = new Set([
  '/auth',
  '/token',
  '/token/introspection',
  '/token/revocation',
  '/request',
  '/jwks',
  '/me',
  '/reg',
  '/session/end',
  '/session/end/confirm',
  '/session/end/success',
  '/.well-known/openid-configuration',
]);

/** The route template of an OP path no Express route matched: a provider endpoint, its ids replaced. */
export function providerRouteOf(path: string): string | undefined {
  if (PROVIDER_PATHS.has(path)) return path;
  if (/^\/auth\/[^/]+$/.test(path)) return '/auth/:uid';
  if (/^\/reg\/[^/]+$/.test(path)) return '/reg/:clientId';
  if (path.startsWith('/public/')) return '/public/*';
  return UNMATCHED_ROUTE;
}

const GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:openid:params:grant-type:ciba',
  'urn:ietf:params:oauth:grant-type:token-exchange',
] as const;

/** An OAuth error code (oidc-provider's error classes carry a fixed set); anything else is `other`. */
const errorCode = (error: unknown) => (typeof error === 'string' && /^[a-z_]{1,40}$/.test(error) ? error : 'other');

/** oidc-provider's adapter interface: the storage calls timed by op_adapter_duration_seconds. */
const ADAPTER_OPERATIONS = new Set(['upsert', 'find', 'findByUid', 'findByUserCode', 'consume', 'destroy', 'revokeByGrantId']);

/** Seconds; one query or a short transaction. */
const ADAPTER_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Why consents end, as this code ends them (consents/, cli/) and as FDX recipients revoke them
 * (ConsentRevocationRequest.reason); an operator's own --reason text counts as `other`.
 */
const CONSENT_END_REASONS = [
  'expired',
  'token_revoked',
  'code_reuse',
  'refresh_token_reuse',
  'signed_out',
  'grant_revoked',
  'client_deleted',
  'customer_blocked',
  'customer_deleted',
  'operator',
  'BUSINESS_RULE',
  'USER_ACTION',
] as const;

const LOGIN_OUTCOMES: Partial<Record<AuditEvent['type'], string>> = {
  'login.success': 'success',
  'login.failure': 'failure',
  'login.blocked': 'blocked',
};

/**
 * The OP's metrics: HTTP (the shared histogram, provider endpoints by template) and its domain
 * counters. Labels carry grant types, outcomes and endpoints only: no client, customer or token ids.
 */
export class OpMetrics {
  readonly service = new ServiceMetrics({ routeOf: providerRouteOf });
  private readonly grants = new Counter({
    name: 'op_token_grants_total',
    help: 'Token endpoint grants by grant type and outcome (success or the OAuth error code).',
    labelNames: ['grant_type', 'outcome'],
    registers: [this.service.registry],
  });
  private readonly logins = new Counter({
    name: 'op_logins_total',
    help: 'Sign-ins by outcome: success, failure (wrong password, locked account, upstream failure), blocked.',
    labelNames: ['outcome'],
    registers: [this.service.registry],
  });
  private readonly lockouts = new Counter({
    name: 'op_lockouts_total',
    help: 'Accounts locked by repeated failed passwords (counted once, by the failure that locks).',
    registers: [this.service.registry],
  });
  private readonly consents = new Counter({
    name: 'op_consents_total',
    help: 'Consent decisions: granted or denied.',
    labelNames: ['decision'],
    registers: [this.service.registry],
  });
  private readonly grantsRevoked = new Counter({
    name: 'op_grants_revoked_total',
    help: 'Grants (consents) ended by this instance: revoked, or refresh_token_reuse (a rotated refresh token presented again).',
    labelNames: ['reason'],
    registers: [this.service.registry],
  });
  private readonly consentsEnded = new Counter({
    name: 'op_consents_ended_total',
    help: 'Consents ended by this instance, by status (REVOKED, EXPIRED), who ended them (customer, client, operator, system) and why.',
    labelNames: ['status', 'ended_by', 'reason'],
    registers: [this.service.registry],
  });
  private readonly clientAuthFailures = new Counter({
    name: 'op_client_authentication_failures_total',
    help: 'Failed client authentications by endpoint.',
    labelNames: ['endpoint'],
    registers: [this.service.registry],
  });

  private readonly adapterDuration = new Histogram({
    name: 'op_adapter_duration_seconds',
    help: "Duration of oidc-provider's storage calls, by model (Session, Grant, RefreshToken, …), operation and outcome (ok or error).",
    labelNames: ['model', 'operation', 'outcome'],
    buckets: ADAPTER_BUCKETS,
    registers: [this.service.registry],
  });
  private keys: readonly PublishedKey[] = [];
  private retiredKeys: readonly PublishedKey[] = [];
  private readonly keyAge: Gauge<'kid' | 'alg' | 'state'> = new Gauge({
    name: 'op_signing_key_age_seconds',
    help: 'Age of every published database signing key (kid, alg, state: next, current, previous); static JWKS keys have no known age.',
    labelNames: ['kid', 'alg', 'state'],
    registers: [this.service.registry],
    collect: () => this.collectKeyAges(),
  });
  private readonly inUseAge: Gauge<'alg'> = new Gauge({
    name: 'op_signing_key_in_use_age_seconds',
    help: 'Age of the key that signs, per algorithm (absent while a static JWKS key signs).',
    labelNames: ['alg'],
    registers: [this.service.registry],
    collect: () => this.collectKeyAges(),
  });

  private readonly keyNeeded: Gauge<'kid' | 'alg' | 'state'> = new Gauge({
    name: 'op_signing_key_needed_seconds',
    help:
      'Seconds until the last token a database key signed before a newer key took over has expired (previous keys; retired keys while above 0: ' +
      'tokens it signed are still valid but no longer verify).',
    labelNames: ['kid', 'alg', 'state'],
    registers: [this.service.registry],
    collect: () => this.collectKeyNeeds(),
  });

  /**
   * `keyNeededMs`: how long after a key stopped signing a token it signed may still be valid (the
   * longest token lifetime plus the key reload interval, during which an instance may still sign with it).
   */
  constructor(private readonly options: { keyNeededMs?: number } = {}) {
    for (const outcome of new Set(Object.values(LOGIN_OUTCOMES))) this.logins.inc({ outcome }, 0);
    this.lockouts.inc(0);
  }

  /** oidc-provider's grant.success / grant.error. */
  grant(grantType: unknown, outcome: 'success' | { error: unknown }): void {
    this.grants.inc({ grant_type: boundedLabel(grantType, GRANT_TYPES), outcome: outcome === 'success' ? 'success' : errorCode(outcome.error) });
  }

  /** Every audit event: logins, lockouts and consents are counted from them. */
  audited(event: AuditEvent): void {
    const outcome = LOGIN_OUTCOMES[event.type];
    if (outcome) this.logins.inc({ outcome });
    if (event.type === 'login.lockout') this.lockouts.inc();
    if (event.type === 'consent.granted') this.consents.inc({ decision: 'granted' });
    if (event.type === 'consent.denied') this.consents.inc({ decision: 'denied' });
    if (event.type === 'grant.revoked') this.grantsRevoked.inc({ reason: 'revoked' });
    if (event.type === 'refresh_token.reuse_detected') this.grantsRevoked.inc({ reason: 'refresh_token_reuse' });
    if (event.type === 'consent.ended' || event.type === 'consent.expired') this.consentEnded(event.detail ?? {});
  }

  private consentEnded(detail: Record<string, unknown>): void {
    this.consentsEnded.inc({
      status: boundedLabel(detail.status, ['REVOKED', 'EXPIRED']),
      ended_by: boundedLabel(detail.by, ENDED_BY),
      reason: boundedLabel(detail.reason, CONSENT_END_REASONS),
    });
  }

  /** At scrape time: previous keys, and retired keys whose tokens may still be valid. */
  private collectKeyNeeds(): void {
    this.keyNeeded.reset();
    const now = Date.now();
    for (const key of [...this.keys, ...this.retiredKeys]) {
      if (key.stoppedSigningAt === undefined || (key.state !== 'previous' && key.state !== 'retired')) continue;
      const needed = Math.max(0, (key.stoppedSigningAt + (this.options.keyNeededMs ?? 0) - now) / 1000);
      if (key.state === 'previous' || needed > 0) this.keyNeeded.set({ kid: key.kid, alg: key.alg, state: key.state }, needed);
    }
  }

  /** At scrape time: ages from the keys of the last reload; the first key of an algorithm is the one that signs. */
  private collectKeyAges(): void {
    this.keyAge.reset();
    this.inUseAge.reset();
    const now = Date.now();
    const signing = new Set<string>();
    for (const key of this.keys) {
      const first = !signing.has(key.alg);
      signing.add(key.alg);
      if (key.createdAt === undefined) continue;
      const age = (now - key.createdAt) / 1000;
      this.keyAge.set({ kid: key.kid, alg: key.alg, state: key.state }, age);
      if (first) this.inUseAge.set({ alg: key.alg }, age);
    }
  }

  /** The same adapter, its storage calls timed (oidc-provider's model names are a fixed set). */
  timedAdapter(model: string, adapter: Adapter): Adapter {
    const modelLabel = /^[A-Za-z]{1,40}$/.test(model) ? model : 'other';
    return new Proxy(adapter, {
      get: (target, prop) => {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        const method = value as (...args: unknown[]) => unknown;
        if (typeof prop !== 'string' || !ADAPTER_OPERATIONS.has(prop)) return method.bind(target);
        return async (...args: unknown[]) => {
          const end = this.adapterDuration.startTimer({ model: modelLabel, operation: prop });
          try {
            const result = await method.apply(target, args);
            end({ outcome: 'ok' });
            return result;
          } catch (err) {
            end({ outcome: 'error' });
            throw err;
          }
        };
      },
    });
  }

  /** The keys the provider runs with, in signing precedence, and the retired ones (set at every key reload). */
  keysLoaded(keys: Pick<KeySet, 'published' | 'retired'>): void {
    this.keys = keys.published;
    this.retiredKeys = keys.retired;
  }

  clientAuthenticationFailed(endpoint: ClientAuthEndpoint): void {
    this.clientAuthFailures.inc({ endpoint });
  }
}
