import { existsSync } from 'node:fs';
import { z } from 'zod';

/**
 * Every development default secret carries this marker, so production can refuse
 * all of them with one rule instead of a list that drifts.
 */
export const DEV_SECRET_MARKER = 'dev-insecure';

export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(service: string, problems: readonly string[]) {
    super(`${service}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export type Env = Record<string, string | undefined>;

/** A secret with a development default that production refuses. */
export function devSecret(devDefault: string, minLength = 32) {
  if (!devDefault.includes(DEV_SECRET_MARKER)) {
    throw new Error(`dev default secrets must contain "${DEV_SECRET_MARKER}"`);
  }
  return z.string().min(minLength, `must be at least ${minLength} characters`).default(devDefault);
}

/**
 * A comma-separated list of secrets for key rotation: the first is the newest (it signs and
 * encrypts), the others are still accepted for reading. Blank entries (a trailing comma) are
 * ignored; each entry is checked on its own so a bad one is named.
 */
export function devSecretList(devDefault: string, minLength = 32) {
  return devSecret(devDefault, minLength).transform((value, ctx) => {
    const secrets = value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (secrets.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must list at least one secret (newest first, comma-separated)' });
      return z.NEVER;
    }
    secrets.forEach((secret, i) => {
      if (secret.length < minLength) {
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1} of ${secrets.length} must be at least ${minLength} characters` });
      }
    });
    if (new Set(secrets).size !== secrets.length) {
      ctx.addIssue({ code: 'custom', message: 'lists the same secret twice' });
    }
    return secrets;
  });
}

export const envBoolean = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const envInt = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

export const envPort = (fallback: number) => envInt(fallback, 1, 65535);

export const httpsUrl = z
  .url({ protocol: /^https?$/ })
  .transform((u) => u.replace(/\/+$/, ''));

export const nodeEnv = z.enum(['development', 'test', 'production']).default('development');

function findDevSecrets(value: unknown, path: string, found: string[]): void {
  if (typeof value === 'string') {
    if (value.includes(DEV_SECRET_MARKER)) found.push(path);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((inner, i) => findDevSecrets(inner, `${path} (entry ${i + 1} of ${value.length})`, found));
    return;
  }
  if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      findDevSecrets(inner, path ? `${path}.${key}` : key, found);
    }
  }
}

/**
 * Validates the environment once, against one schema. Collects every problem
 * into a single ConfigError; in production any value still carrying the dev
 * marker is a problem too.
 */
export function loadConfig<S extends z.ZodType<{ nodeEnv: string }>>(
  service: string,
  schema: S,
  env: Env,
): z.output<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      return `${name}: ${issue.message}`;
    });
    throw new ConfigError(service, problems);
  }
  if (result.data.nodeEnv === 'production') {
    const found: string[] = [];
    findDevSecrets(result.data, '', found);
    if (found.length > 0) {
      throw new ConfigError(
        service,
        found.map((p) => `${p}: uses a development default secret; production refuses it (generate one with scripts/secrets.js)`),
      );
    }
  }
  return result.data;
}

/** Loads `.env` from the app directory when present; real environment variables win. */
export function loadDotEnv(file: string): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

/** For main.ts: print the one configuration message and stop, instead of a stack trace. */
export function configOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** A refinement for env schemas: the named URL variables must be https when NODE_ENV=production. */
export function httpsInProduction(...names: string[]) {
  return (env: Record<string, unknown>, ctx: z.RefinementCtx) => {
    if (env.NODE_ENV !== 'production') return;
    for (const name of names) {
      const value = env[name];
      if (typeof value === 'string' && !value.startsWith('https://')) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'must be an https URL in production' });
      }
    }
  };
}

/**
 * Metrics (see metrics.ts), one schema fragment for every app: METRICS_ENABLED (default true)
 * counts per-request metrics (HTTP durations, the API's request counter and data-port timing, the
 * OP's adapter timing); false leaves that work out of the request path entirely. METRICS_PORT unset
 * means no listener (metrics are still counted), 0 a free port (tests); METRICS_HOST is loopback
 * unless the scraper sits in another container.
 */
export const metricsEnv = {
  METRICS_ENABLED: envBoolean(true),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
};

export interface MetricsConfig {
  /** False: no per-request metrics work and no listener (METRICS_ENABLED=false). */
  enabled: boolean;
  host: string;
  /** Undefined: no listener. */
  port: number | undefined;
}

interface MetricsEnv {
  METRICS_ENABLED: boolean;
  METRICS_HOST: string;
  METRICS_PORT?: number | undefined;
}

export const metricsConfig = (e: MetricsEnv): MetricsConfig => ({
  enabled: e.METRICS_ENABLED,
  host: e.METRICS_HOST,
  port: e.METRICS_PORT,
});

/** A refinement for env schemas: a metrics port with metrics switched off is a contradiction, refused. */
export function metricsSwitchConsistent(env: MetricsEnv, ctx: z.RefinementCtx): void {
  if (!env.METRICS_ENABLED && env.METRICS_PORT !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['METRICS_PORT'], message: 'set while METRICS_ENABLED=false: unset one of them' });
  }
}
