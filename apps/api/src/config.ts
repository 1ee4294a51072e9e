import { resolve } from 'node:path';
import { defaultInstanceId, devSecret, envInt, envPort, httpsInProduction, httpsUrl, loadConfig, nodeEnv, trustedProxies, type Env, metricsConfig, metricsEnv, metricsSwitchConsistent, tracingConfig, tracingEnv } from '@apps/shared';
import { z } from 'zod';

const schema = z
  .object({
    NODE_ENV: nodeEnv,
    HOST: z.string().default('127.0.0.1'),
    PORT: envPort(3003),
    ...metricsEnv,
    ...tracingEnv,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    API_URL: httpsUrl.default('https://localhost:8444'),
    OP_ISSUER: httpsUrl.default('https://localhost:8443'),
    API_AUDIENCE: z.string().min(1).default('api://my-api'),
    JWKS_URI: httpsUrl.optional(),
    JWKS_COOLDOWN_SECONDS: envInt(30, 1, 3600),
    CLOCK_TOLERANCE_SECONDS: envInt(10, 0, 120),
    CURSOR_SECRET: devSecret('dev-insecure-api-cursor-secret-change-me-000000'),
    DATA_DIR: z.string().default('.data'),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    // Default: on outside production only (a production store is filled by `pnpm kit data import`).
    SEED_ON_START: z.enum(['true', 'false', '1', '0', 'yes', 'no']).optional(),
    INSTITUTION_NAME: z.string().trim().min(1).default('Open Finance Demo Bank'),
    RATE_LIMIT_WINDOW_SECONDS: envInt(60, 1, 3600),
    // Per window, for tokens without the OP's `rl` claim (which sets both per client): 0 disables.
    RATE_LIMIT_PER_CLIENT: envInt(3000, 0),
    RATE_LIMIT_PER_CUSTOMER: envInt(600, 0),
    // Requests whose token failed, and requests to public routes (the performance disclosure), per address.
    RATE_LIMIT_PER_IP: envInt(6000, 0),
    RATE_LIMIT_SYNC_MS: envInt(250, 0, 10_000),
    // Whose X-Client-Cert header (the mTLS client certificate Caddy passes on) is believed.
    TRUSTED_PROXIES: trustedProxies,
    // Service-to-service calls between the API and the OP (consent feed, consent API backend, account catalog).
    INTERNAL_SECRET: devSecret('dev-insecure-internal-secret-change-me-00000000000000'),
    OP_INTERNAL_URL: httpsUrl.optional(),
    CONSENT_FEED_INTERVAL_MS: envInt(1000, 100, 60_000),
    // The longest access-token lifetime any client has (the OP's ACCESS_TOKEN_TTL and every client's
    // access_token_ttl): an ended consent is remembered this long (plus the clock tolerance), then pruned.
    ACCESS_TOKEN_MAX_TTL_SECONDS: envInt(86_400, 60),
    // This process's name: X-Served-By and its rows of the performance disclosure. Default hostname:pid.
    INSTANCE_ID: z
      .string()
      .regex(/^[\w.:-]{1,64}$/, 'up to 64 letters, digits, _ . : -')
      .optional(),
    // The performance disclosure (README): a response slower than this is not a proper response…
    DISCLOSURE_RESPONSE_THRESHOLD_MS: envInt(3500, 1, 60_000),
    // …and each instance writes its per-minute counts this often.
    DISCLOSURE_FLUSH_MS: envInt(10_000, 100, 300_000),
  })
  .superRefine(httpsInProduction('API_URL', 'OP_ISSUER', 'JWKS_URI'), { when: () => true })
  .superRefine(metricsSwitchConsistent)
  .transform((e, ctx) => ({
    nodeEnv: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    metrics: metricsConfig(e),
    tracing: tracingConfig(e, 'api', ctx),
    logLevel: e.LOG_LEVEL,
    publicUrl: e.API_URL,
    // The MCP server's resource identifier and the audience of the tokens it accepts (RFC 8707).
    mcpResource: `${e.API_URL}/mcp`,
    issuer: e.OP_ISSUER,
    // Tokens for either name of this API are accepted: API_AUDIENCE and the API's own URL (the
    // RFC 9728 resource identifier; the OP issues tokens with whichever indicator the client sent).
    audiences: [...new Set([e.API_AUDIENCE, e.API_URL])],
    jwksUri: e.JWKS_URI ?? `${e.OP_ISSUER}/jwks`,
    jwksCooldownMs: e.JWKS_COOLDOWN_SECONDS * 1000,
    clockToleranceSeconds: e.CLOCK_TOLERANCE_SECONDS,
    cursorSecret: e.CURSOR_SECRET,
    dataDir: resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    seedOnStart: e.SEED_ON_START === undefined ? e.NODE_ENV !== 'production' : ['true', '1', 'yes'].includes(e.SEED_ON_START),
    institutionName: e.INSTITUTION_NAME,
    trustedProxies: e.TRUSTED_PROXIES,
    rateLimit: {
      windowMs: e.RATE_LIMIT_WINDOW_SECONDS * 1000,
      perClient: e.RATE_LIMIT_PER_CLIENT,
      perCustomer: e.RATE_LIMIT_PER_CUSTOMER,
      perIp: e.RATE_LIMIT_PER_IP,
      syncMs: e.RATE_LIMIT_SYNC_MS,
    },
    internalSecret: e.INTERNAL_SECRET,
    opInternalUrl: e.OP_INTERNAL_URL ?? e.OP_ISSUER,
    consentFeed: {
      intervalMs: e.CONSENT_FEED_INTERVAL_MS,
      retentionMs: (e.ACCESS_TOKEN_MAX_TTL_SECONDS + e.CLOCK_TOLERANCE_SECONDS) * 1000,
    },
    instanceId: e.INSTANCE_ID ?? defaultInstanceId({}),
    disclosure: {
      thresholdMs: e.DISCLOSURE_RESPONSE_THRESHOLD_MS,
      flushMs: e.DISCLOSURE_FLUSH_MS,
    },
  }));

export type ApiConfig = z.output<typeof schema>;

export function loadApiConfig(env: Env): ApiConfig {
  return loadConfig('api', schema, env);
}
