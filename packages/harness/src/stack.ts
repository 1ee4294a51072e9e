// Starts the whole stack: auth, api and app as child processes (tsx, --conditions=source, the
// same entry points as `pnpm dev`) on free loopback ports, behind a private Caddy on free HTTPS
// ports with its own throwaway CA. Nothing is shared with a dev stack running on the same
// machine: ports, Caddy storage and databases are temporary. Used by e2e/, `pnpm scale` and `pnpm load`.
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { caBundle, ROOT, startCaddy } from './caddy.js';
import { httpsGet } from './http.js';
import { freePort } from './ports.js';
import { stopChild, waitFor } from './process.js';

export type ServiceName = 'auth' | 'api' | 'app';
export const SERVICES: readonly ServiceName[] = ['auth', 'api', 'app'];

export interface StackOptions {
  /** Instances per service behind Caddy's round robin (default 1 each). */
  instances?: Partial<Record<ServiceName, number>>;
  /** A PostgreSQL database per service (shared by its instances); absent = SQLite under a temp DATA_DIR. */
  databaseUrls?: Partial<Record<ServiceName, string>>;
  /** Extra environment per service, winning over the harness defaults (e.g. OIDC_CLIENTS, JWKS). */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Like `env`, for values that depend on the run's public URLs (e.g. a client's redirect URI at the app). */
  envFor?: (urls: Record<ServiceName, string>) => Partial<Record<ServiceName, Record<string, string>>>;
  /** PEM CA certificates the services trust besides the system's and Caddy's (e.g. a test origin's CA). */
  extraCaPems?: string[];
  /** Caddy's active health-check interval (default 1s, so a restarted instance is back in rotation quickly). */
  healthInterval?: string;
}

/** One service process: auth-1, auth-2, api-1, … (its INSTANCE_ID, echoed as X-Served-By). */
export interface Instance {
  id: string;
  service: ServiceName;
  /** Its own loopback port, plain HTTP (what Caddy proxies to). */
  port: number;
  /** Its Prometheus listener (METRICS_PORT, loopback): GET <metricsUrl>/metrics. */
  metricsUrl: string;
  child: ChildProcess;
  /** Environment it runs with (without PATH/HOME); change it before restart() for a rolling change. */
  env: Record<string, string>;
  running(): boolean;
  /** Sends the signal and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and waits until it answers /public/health directly. */
  start(): Promise<void>;
}

export interface Stack {
  /** Public https URLs through Caddy. */
  urls: Record<ServiceName, string>;
  /** The OP's mutual-TLS origin (token, revocation, introspection, PAR, userinfo with a client certificate). */
  mtlsUrl: string;
  instances: Instance[];
  /** System CAs + this run's Caddy root CA + `extraCaPems` (what NODE_EXTRA_CA_CERTS points the services at). */
  caBundlePath: string;
  ca: Buffer;
  dir: string;
  /** The last lines each process wrote, for failure messages. */
  logTail(name: ServiceName | 'caddy' | `${ServiceName}-${number}`, lines?: number): string;
  stop(): Promise<void>;
}

// tsx's loader in the service process itself (not the tsx CLI, which runs the script in a second
// process): a signal, SIGKILL included, reaches the service and not a wrapper.
const TSX_LOADER = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
/**
 * How a service runs from its sources: `node <args>` with `env` (tsx's tsconfig for that app).
 * The stack and the production refusal tests start services this way; `src/cli.ts` is its
 * operator CLI (`pnpm kit`), for a test that drives a stack's database as an operator would.
 */
export function serviceCommand(service: ServiceName, entry: 'src/main.ts' | 'src/cli.ts' = 'src/main.ts'): { args: string[]; env: { TSX_TSCONFIG_PATH: string } } {
  return {
    args: ['--import', TSX_LOADER, '--conditions=source', join(ROOT, 'apps', service, entry)],
    env: { TSX_TSCONFIG_PATH: join(ROOT, 'apps', service, 'tsconfig.json') },
  };
}

/** The OP's dev client and the app's credentials for it (the development defaults, passed explicitly). */
export const DEV_CLIENT = { id: 'dev-rp', secret: 'dev-insecure-rp-client-secret-change-me-000000000' } as const;

/** The OP's and the app's Tailwind stylesheets are build outputs (git-ignored); build them when missing. */
const STYLESHEETS = [
  { app: 'auth', input: 'src/styles/app.css' },
  { app: 'app', input: 'src/styles.css' },
] as const;

function ensureCss(): void {
  for (const { app, input } of STYLESHEETS) {
    const dir = join(ROOT, 'apps', app);
    if (existsSync(join(dir, 'public/css/app.css'))) continue;
    const cli = join(dir, 'node_modules/.bin/tailwindcss');
    const built = spawnSync(cli, ['-i', input, '-o', 'public/css/app.css', '--minify'], { cwd: dir, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`building apps/${app} CSS failed: ${built.stderr}`);
  }
}

/** Every instance serves its metrics on a port of its own, unless the caller switched metrics off (METRICS_ENABLED=false). */
function withMetricsPort(env: Record<string, string>, port: number): Record<string, string> {
  return env.METRICS_ENABLED === 'false' ? env : { METRICS_PORT: String(port), ...env };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  ensureCss();
  const dir = mkdtempSync(join(tmpdir(), 'kit-e2e-'));
  const counts = Object.fromEntries(SERVICES.map((name) => [name, Math.max(1, options.instances?.[name] ?? 1)])) as Record<ServiceName, number>;
  const ports = Object.fromEntries(
    await Promise.all(SERVICES.map(async (name) => [name, await Promise.all(Array.from({ length: counts[name] }, freePort))] as const)),
  ) as Record<ServiceName, number[]>;
  const metricsPorts = Object.fromEntries(
    await Promise.all(SERVICES.map(async (name) => [name, await Promise.all(Array.from({ length: counts[name] }, freePort))] as const)),
  ) as Record<ServiceName, number[]>;
  const [authSite, apiSite, appSite, mtlsSite] = await Promise.all(Array.from({ length: 4 }, freePort));
  const urls: Record<ServiceName, string> = {
    auth: `https://localhost:${authSite}`,
    api: `https://localhost:${apiSite}`,
    app: `https://localhost:${appSite}`,
  };
  // The OP's mutual-TLS endpoints (RFC 8705 aliases), on their own Caddy site.
  const mtlsUrl = `https://localhost:${mtlsSite}`;
  const children = new Map<string, ChildProcess>();
  const instances: Instance[] = [];
  // A service name means its first instance (auth → auth-1.log).
  const logFile = (name: string) => join(dir, `${(SERVICES as readonly string[]).includes(name) ? `${name}-1` : name}.log`);
  const logTail = (name: string, lines = 40) =>
    existsSync(logFile(name)) ? readFileSync(logFile(name), 'utf8').split('\n').slice(-lines).join('\n') : '(no output)';

  const stop = async () => {
    await Promise.all([...instances.map((i) => i.child), ...(children.has('caddy') ? [children.get('caddy')!] : [])].map((child) => stopChild(child)));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // 1. Caddy with a private storage: its local CA is created fresh for this run.
    const storage = join(dir, 'caddy');
    mkdirSync(storage, { recursive: true });
    const upstreams = (name: ServiceName) => ports[name].map((p) => `127.0.0.1:${p}`).join(' ');
    const caddy = startCaddy({
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        AUTH_SITE: urls.auth,
        AUTH_MTLS_SITE: mtlsUrl,
        API_SITE: urls.api,
        APP_SITE: urls.app,
        AUTH_UPSTREAMS: upstreams('auth'),
        API_UPSTREAMS: upstreams('api'),
        APP_UPSTREAMS: upstreams('app'),
        CADDY_HEALTH_INTERVAL: options.healthInterval ?? '1s',
        CADDY_STORAGE: storage,
        CADDY_ADMIN: 'off',
        XDG_DATA_HOME: join(dir, 'xdg-data'),
        XDG_CONFIG_HOME: join(dir, 'xdg-config'),
      },
    });
    const caddyLog = createWriteStream(logFile('caddy'));
    caddy.stdout?.pipe(caddyLog);
    caddy.stderr?.pipe(caddyLog);
    children.set('caddy', caddy);
    const rootCa = join(storage, 'pki/authorities/local/root.crt');
    await waitFor("Caddy's local root CA", 30_000, async () => {
      if (caddy.exitCode !== null) throw new Error(`caddy exited (${caddy.exitCode})\n${logTail('caddy')}`);
      return existsSync(rootCa) && readFileSync(rootCa, 'utf8').includes('END CERTIFICATE') ? true : undefined;
    });
    const caBundlePath = join(dir, 'ca-bundle.pem');
    writeFileSync(caBundlePath, [caBundle(rootCa), ...(options.extraCaPems ?? [])].join('\n'));
    const ca = readFileSync(caBundlePath);

    // 2. The services, each with its own data dir (shared by its instances), pointing at each other through Caddy.
    // SHUTDOWN_DELAY_MS > Caddy's health interval: a stopping instance leaves the rotation before it closes.
    // INTERNAL_SECRET: the OP and the API call each other's /internal/v1 routes with this run's own secret.
    const common = {
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      NODE_EXTRA_CA_CERTS: caBundlePath,
      API_AUDIENCE: 'api://my-api',
      SHUTDOWN_DELAY_MS: '1500',
      INTERNAL_SECRET: randomBytes(32).toString('base64url'),
    };
    const envs: Record<ServiceName, Record<string, string>> = {
      // The dev client (dev-rp) registered with this run's app URLs (Caddy ports are random).
      auth: {
        ...common,
        OP_ISSUER: urls.auth,
        API_URL: urls.api,
        MTLS_ENDPOINT_URL: mtlsUrl,
        MCP_RESOURCE: `${urls.api}/mcp`,
        CLIENT_ID: DEV_CLIENT.id,
        CLIENT_SECRET: DEV_CLIENT.secret,
        REDIRECT_URI: `${urls.app}/callback`,
        POST_LOGOUT_REDIRECT_URI: `${urls.app}/`,
        CLIENT_FORCE_REFRESH_TOKEN: 'true',
        CLIENT_NAME: 'Open Finance demo app',
        SEED_DEMO_USERS: 'true',
        DATA_DIR: join(dir, 'auth-data'),
      },
      api: { ...common, API_URL: urls.api, OP_ISSUER: urls.auth, SEED_ON_START: 'true', DATA_DIR: join(dir, 'api-data') },
      app: {
        ...common,
        APP_URL: urls.app,
        OP_ISSUER: urls.auth,
        API_BASE_URL: `${urls.api}/api/fdx/v6`,
        CLIENT_ID: DEV_CLIENT.id,
        CLIENT_SECRET: DEV_CLIENT.secret,
        DATA_DIR: join(dir, 'app-data'),
        DISCOVERY_RETRY_MAX_MS: '2000',
      },
    };
    const extraEnv = options.envFor?.(urls);
    for (const name of SERVICES) {
      const cwd = join(dir, `${name}-cwd`); // no developer .env gets picked up
      mkdirSync(cwd, { recursive: true });
      const databaseUrl = options.databaseUrls?.[name];
      ports[name].forEach((port, index) => {
        const id = `${name}-${index + 1}`;
        const metricsPort = metricsPorts[name][index]!;
        const instance: Instance = {
          id,
          service: name,
          port,
          metricsUrl: `http://127.0.0.1:${metricsPort}`,
          child: undefined as unknown as ChildProcess,
          env: withMetricsPort(
            { ...envs[name], ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...options.env?.[name], ...extraEnv?.[name], PORT: String(port), INSTANCE_ID: id },
            metricsPort,
          ),
          running: () => instance.child.exitCode === null && instance.child.signalCode === null,
          kill: (signal = 'SIGTERM') =>
            new Promise<void>((resolve) => {
              if (!instance.running()) return resolve();
              instance.child.once('exit', () => resolve());
              instance.child.kill(signal);
            }),
          start: async () => {
            const command = serviceCommand(name);
            const child = spawn(process.execPath, command.args, {
              cwd,
              env: { PATH: process.env.PATH, HOME: process.env.HOME, ...instance.env, ...command.env },
              stdio: ['ignore', 'pipe', 'pipe'],
            });
            const log = createWriteStream(logFile(id), { flags: 'a' });
            child.stdout?.pipe(log);
            child.stderr?.pipe(log);
            instance.child = child;
            await waitFor(
              `${id} at 127.0.0.1:${port}/public/health`,
              90_000,
              async () => {
                if (!instance.running()) throw new Error(`${id} exited (${child.exitCode ?? child.signalCode})\n${logTail(id)}`);
                const res = await fetch(`http://127.0.0.1:${port}/public/health`).catch(() => undefined);
                return res?.status === 200 ? true : undefined;
              },
              () => `--- ${id} ---\n${logTail(id)}`,
            );
          },
        };
        instances.push(instance);
      });
    }
    // The first instance of every service migrates (and seeds) alone; the others start once it is up.
    await Promise.all(SERVICES.map((name) => instances.find((i) => i.service === name)!.start()));
    await Promise.all(instances.filter((i) => !i.id.endsWith('-1')).map((i) => i.start()));

    // 3. Ready when every service answers through Caddy's HTTPS with the CA verified.
    for (const name of SERVICES) {
      await waitFor(
        `${name} at ${urls[name]}/public/health`,
        90_000,
        async () => {
          const res = await httpsGet(`${urls[name]}/public/health`, ca).catch(() => undefined);
          return res?.status === 200 ? true : undefined;
        },
        () => `--- ${name} ---\n${logTail(`${name}-1`)}\n--- caddy ---\n${logTail('caddy', 10)}`,
      );
    }
    return { urls, mtlsUrl, instances, caBundlePath, ca, dir, logTail, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
