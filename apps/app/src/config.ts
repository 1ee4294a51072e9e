import { resolve } from 'node:path';
import { devSecret, devSecretList, envInt, envPort, httpsInProduction, httpsUrl, loadConfig, nodeEnv, type Env, metricsConfig, metricsEnv, metricsSwitchConsistent, tracingConfig, tracingEnv } from '@apps/shared';
import { z } from 'zod';

const schema = z
  .object({
    NODE_ENV: nodeEnv,
    HOST: z.string().default('127.0.0.1'),
    PORT: envPort(3004),
    ...metricsEnv,
    ...tracingEnv,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    APP_URL: httpsUrl.default('https://localhost:8445'),
    OP_ISSUER: httpsUrl.default('https://localhost:8443'),
    API_BASE_URL: httpsUrl.default('https://localhost:8444/api/fdx/v6'),
    API_AUDIENCE: z.string().min(1).default('api://my-api'),
    CLIENT_ID: z.string().min(1).default('dev-rp'),
    CLIENT_SECRET: devSecret('dev-insecure-rp-client-secret-change-me-000000000'),
    // Comma-separated, newest first: the first signs the session cookie and seals session data,
    // the others are still read (rotation without logging everyone out).
    COOKIE_SECRET: devSecretList('dev-insecure-app-cookie-secret-change-me-00000000'),
    SCOPES: z
      .string()
      .default('openid profile email offline_access accounts:read customers:read transactions:read')
      .refine((s) => s.split(' ').includes('openid'), 'must include openid'),
    // Unset: a remembered grant is reused (no consent page on every login). `consent` forces the
    // consent page, which a generic OP requires before it issues a refresh token for offline_access.
    LOGIN_PROMPT: z.enum(['consent', 'login', 'login consent']).optional(),
    // Pushed authorization requests (RFC 9126): `auto` pushes when the OP's discovery requires it
    // for every client; `true` always (set it when the OP requires PAR of this client only).
    USE_PAR: z.enum(['auto', 'true', 'false']).default('auto'),
    SESSION_TTL_SECONDS: envInt(8 * 3600, 60, 30 * 24 * 3600),
    DISCOVERY_RETRY_MAX_MS: envInt(30_000, 100, 600_000),
    DATA_DIR: z.string().default('.data'),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    // Shows raw tokens: on in development, off (404) in production unless set to true.
    DEBUG_TOKENS_PAGE: z.enum(['true', 'false', '1', '0', 'yes', 'no']).optional(),
  })
  .superRefine(httpsInProduction('APP_URL', 'OP_ISSUER', 'API_BASE_URL'), { when: () => true })
  .superRefine(metricsSwitchConsistent)
  .transform((e, ctx) => ({
    nodeEnv: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    metrics: metricsConfig(e),
    tracing: tracingConfig(e, 'app', ctx),
    logLevel: e.LOG_LEVEL,
    appUrl: e.APP_URL,
    redirectUri: `${e.APP_URL}/callback`,
    postLogoutRedirectUri: `${e.APP_URL}/`,
    issuer: e.OP_ISSUER,
    apiBaseUrl: e.API_BASE_URL,
    apiAudience: e.API_AUDIENCE,
    clientId: e.CLIENT_ID,
    clientSecret: e.CLIENT_SECRET,
    cookieSecrets: e.COOKIE_SECRET,
    scopes: e.SCOPES,
    loginPrompt: e.LOGIN_PROMPT,
    usePar: e.USE_PAR,
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    discoveryRetryMaxMs: e.DISCOVERY_RETRY_MAX_MS,
    dataDir: resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    debugTokensPage: e.DEBUG_TOKENS_PAGE ? ['true', '1', 'yes'].includes(e.DEBUG_TOKENS_PAGE) : e.NODE_ENV !== 'production',
  }));

export type AppConfig = z.output<typeof schema>;

export function loadAppConfig(env: Env): AppConfig {
  return loadConfig('app', schema, env);
}
