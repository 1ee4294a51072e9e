import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIENCE, ISSUER } from '@kit/harness/jwks';
import { REPO_ROOT } from './context.js';
import { CHAIN_CLIENT } from './refresh-chains.js';

export type ServiceName = 'api' | 'auth' | 'app';

export const SERVICES: readonly ServiceName[] = ['api', 'auth', 'app'];

/** What production runs: `node apps/<service>/dist/main.js`. */
export const mainOf = (service: ServiceName) => join(REPO_ROOT, 'apps', service, 'dist', 'main.js');

export function buildIfMissing(log: (m: string) => void): void {
  const missing = SERVICES.filter((s) => !existsSync(mainOf(s)));
  if (missing.length === 0 && existsSync(join(REPO_ROOT, 'apps', 'shared', 'dist', 'index.js'))) return;
  log(`building apps/${missing.join(', apps/') || 'shared'} (and what they depend on)`);
  const pnpm = process.env.npm_execpath;
  const [cmd, args] = pnpm ? [process.execPath, [pnpm]] : ['pnpm', []];
  const filters = SERVICES.flatMap((s) => ['--filter', `@apps/${s}...`]);
  execFileSync(cmd, [...args, ...filters, 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
}

// Limits a benchmark from one address would trip; the counting itself still runs.
const UNLIMITED = '1000000000';

const common = (port: number, dataDir: string) => ({
  NODE_ENV: 'development',
  LOG_LEVEL: 'info',
  HOST: '127.0.0.1',
  PORT: String(port),
  DATA_DIR: dataDir,
});

/**
 * The API trusting tokens signed by the bench's key, published at `jwksUrl`, and polling the
 * consent feed of an OP stand-in at `consentFeed` (@kit/harness/op-consents; no OP needed).
 */
export function apiEnv(port: number, dataDir: string, jwksUrl: string, consentFeed: { url: string; secret: string }): Record<string, string> {
  return {
    ...common(port, dataDir),
    OP_ISSUER: ISSUER,
    API_AUDIENCE: AUDIENCE,
    JWKS_URI: jwksUrl,
    OP_INTERNAL_URL: consentFeed.url,
    INTERNAL_SECRET: consentFeed.secret,
    RATE_LIMIT_PER_CLIENT: UNLIMITED,
    RATE_LIMIT_PER_CUSTOMER: UNLIMITED,
    RATE_LIMIT_PER_IP: UNLIMITED,
  };
}

/** The OP as its own issuer on loopback, with the client whose refresh chains the bench drives. */
export function authEnv(port: number, dataDir: string): Record<string, string> {
  return {
    ...common(port, dataDir),
    OP_ISSUER: `http://127.0.0.1:${port}`,
    OIDC_CLIENTS: JSON.stringify([CHAIN_CLIENT]),
    RATE_LIMIT_TOKEN_PER_IP: UNLIMITED,
    RATE_LIMIT_TOKEN_PER_CLIENT: UNLIMITED,
    RATE_LIMIT_TOKEN_PER_OPERATOR_CLIENT: UNLIMITED,
    RATE_LIMIT_REFRESH_PER_GRANT: UNLIMITED,
  };
}

/**
 * The relying party discovering the OP at `issuer`. Its readiness does not wait for the OP (it
 * serves pages saying the OP is unreachable and retries discovery); the pages measured never
 * call the API, so API_BASE_URL only has to be valid.
 */
export function appEnv(port: number, dataDir: string, issuer: string): Record<string, string> {
  return {
    ...common(port, dataDir),
    APP_URL: `http://127.0.0.1:${port}`,
    OP_ISSUER: issuer,
    API_BASE_URL: 'http://127.0.0.1:9/api/fdx/v6',
  };
}
