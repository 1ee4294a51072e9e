import { resolve } from 'node:path';
import { devSecret, envBoolean, envPort, httpsInProduction, httpsUrl, loadConfig, nodeEnv, type Env } from '@apps/shared';
import { z } from 'zod';

const schema = z
  .object({
    NODE_ENV: nodeEnv,
    HOST: z.string().default('127.0.0.1'),
    PORT: envPort(3001),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    OP_ISSUER: httpsUrl.default('https://localhost:8443'),
    API_AUDIENCE: z.string().min(1).default('api://my-api'),
    COOKIE_SECRET: devSecret('dev-insecure-auth-cookie-secret-change-me-00000000'),
    TRUST_PROXY: envBoolean(true),
    DATA_DIR: z.string().default('.data'),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  })
  .superRefine(httpsInProduction('OP_ISSUER'), { when: () => true })
  .transform((e) => ({
    nodeEnv: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    issuer: e.OP_ISSUER,
    apiAudience: e.API_AUDIENCE,
    cookieSecret: e.COOKIE_SECRET,
    trustProxy: e.TRUST_PROXY,
    dataDir: resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
  }));

export type AuthConfig = z.output<typeof schema>;

export function loadAuthConfig(env: Env): AuthConfig {
  return loadConfig('auth', schema, env);
}
