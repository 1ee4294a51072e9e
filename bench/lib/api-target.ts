import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { forkScript, stopChild } from '@kit/harness/process';
import type { ApiTargetInfo } from '../servers/api-target.js';
import { REPO_ROOT } from './context.js';

export type { ApiTargetInfo };

export interface ApiTarget extends ApiTargetInfo {
  child: ChildProcess;
  /** Authorization header for the API: a consent's token (revocation check and account selection paid). */
  headers: Record<string, string>;
  /** Authorization header with a token from before consents (neither is paid). */
  legacyHeaders: Record<string, string>;
  stop(): Promise<void>;
}

export interface ApiTargetOptions {
  dataDir: string;
  /** FDX paths the bare app mirrors (captured from the API). */
  paths: string[];
  rateLimit: boolean;
  /** PostgreSQL instead of the SQLite file in dataDir. */
  databaseUrl?: string;
  /** Extra Node flags for the target, e.g. --cpu-prof. */
  execArgv?: string[];
  /** METRICS_ENABLED of the API (default true, as shipped). */
  metrics?: boolean;
  /** Extra API settings (environment variable names, e.g. OTEL_*), over the target's own. */
  env?: Record<string, string>;
}

export async function startApiTarget(options: ApiTargetOptions): Promise<ApiTarget> {
  const { child, info } = await forkScript<ApiTargetInfo>(join(REPO_ROOT, 'bench', 'servers', 'api-target.ts'), {
    env: {
      NODE_ENV: 'production',
      BENCH_DATA_DIR: options.dataDir,
      BENCH_PATHS: JSON.stringify(options.paths),
      BENCH_RATE_LIMIT: options.rateLimit ? 'on' : 'off',
      ...(options.databaseUrl ? { BENCH_DATABASE_URL: options.databaseUrl } : {}),
      BENCH_METRICS: String(options.metrics ?? true),
      ...(options.env ? { BENCH_API_ENV: JSON.stringify(options.env) } : {}),
    },
    execArgv: options.execArgv,
  });
  return {
    ...info,
    child,
    headers: { authorization: `Bearer ${info.token}` },
    legacyHeaders: { authorization: `Bearer ${info.legacyToken}` },
    stop: () => stopChild(child),
  };
}

export const FDX = '/api/fdx/v6';
