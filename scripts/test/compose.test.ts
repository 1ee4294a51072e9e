// The compose files and the Dockerfile checked statically against the real project: ports, env
// names, build args, health routes, published ports, secrets (fast, and where Docker cannot run).
// e2e/compose builds the images and runs both compose files (`pnpm test:compose`). Everything iterates over the apps with a src/main.ts (the image runs dist/main.js), so a
// new app is checked as soon as it has one.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const APPS = readdirSync(join(ROOT, 'apps')).filter((dir) => existsSync(join(ROOT, 'apps', dir, 'src', 'main.ts')));

/** Variables Node itself reads, not the app's config (so not in .env.example). */
const RUNTIME_VARS = new Set(['NODE_EXTRA_CA_CERTS']);

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string | number> };
  env_file?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  network_mode?: string;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}
interface Compose {
  services: Record<string, Service>;
}

const FILES = { dev: 'docker-compose.yml', prod: 'docker-compose.prod.example.yml' } as const;
const compose = (file: string) => parse(read(file), { merge: true }) as Compose;

function envExample(app: string) {
  const text = read(`apps/${app}/.env.example`);
  // Optional variables are documented commented out; they count as known names.
  const names = new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
  return { names, values: parseEnv(text) as Record<string, string> };
}

/** The default of `PORT: envPort(3001)` in apps/<app>/src/config.ts. */
function configPort(app: string): string | undefined {
  return /\bPORT:\s*envPort\((\d+)\)/.exec(read(`apps/${app}/src/config.ts`))?.[1];
}

/** `{$NAME:default}` defaults from the caddyfile. */
const CADDYFILE = read('caddyfile');
function caddyDefault(name: string): string {
  const match = new RegExp(`\\{\\$${name}:([^}]+)\\}`).exec(CADDYFILE);
  if (!match) throw new Error(`caddyfile has no {$${name}:...}`);
  return match[1]!;
}

/** The app a service runs: `auth`, or a further instance like `auth-2`. */
function appOf(serviceName: string): string | undefined {
  return APPS.find((app) => serviceName === app || new RegExp(`^${app}-\\d+$`).test(serviceName));
}

function effectiveEnv(service: Service): Record<string, string> {
  const env: Record<string, string> = {};
  for (const file of service.env_file ?? []) Object.assign(env, parseEnv(read(file)));
  for (const [name, value] of Object.entries(service.environment ?? {})) env[name] = String(value);
  return env;
}

function upstreamsOf(doc: Compose, app: string): string[] {
  const name = `${app.toUpperCase()}_UPSTREAMS`;
  const value = doc.services.caddy?.environment?.[name] ?? caddyDefault(name);
  return String(value).split(/\s+/);
}

/** The one Dockerfile: its global ARG defaults (before the first FROM) and its stages. */
function dockerfile() {
  const text = read('Dockerfile');
  const [preamble = '', ...stages] = text.split(/^(?=FROM )/m);
  const defaults = Object.fromEntries([...preamble.matchAll(/^ARG\s+([A-Z_]+)=(\S+)/gm)].map((m) => [m[1]!, m[2]!]));
  const build = stages.find((stage) => /^FROM \S+ AS build$/m.test(stage)) ?? '';
  const runtime = stages.at(-1) ?? '';
  return {
    text,
    defaults,
    stages,
    build,
    runtime,
    expose: [...runtime.matchAll(/^EXPOSE\s+(\S+)/gm)].map((m) => m[1]),
    envPort: /\bPORT=(\S+)/.exec(runtime)?.[1],
    user: /^USER\s+(\S+)/m.exec(runtime)?.[1],
  };
}
const DOCKERFILE = dockerfile();

describe.each(Object.entries(FILES))('%s compose file (%s)', (kind, file) => {
  const doc = compose(file);
  const services = Object.entries(doc.services);
  const appServices = services.flatMap(([name, service]) => {
    const app = appOf(name);
    return app ? [{ name, app, service, env: effectiveEnv(service) }] : [];
  });

  it('runs every app and Caddy', () => {
    expect(doc.services.caddy?.image).toMatch(/^caddy:2\b/);
    for (const app of APPS) expect(appServices.map((s) => s.app)).toContain(app);
    const built = new Map(appServices.filter((s) => s.service.build).map((s) => [s.service.image, s.app]));
    for (const app of APPS) expect([...built.values()], `a ${app} service builds its image`).toContain(app);
    for (const { name, app, service } of appServices) {
      expect(service.image, `${name} names its image after ${app}`).toContain(app);
      expect(built.get(service.image), `${name} builds or reuses its own image`).toBe(app);
    }
  });

  it("builds each app from the one Dockerfile with that app's name and default port as build args", () => {
    for (const { name, app, service } of appServices) {
      if (!service.build) continue;
      expect(service.build.context, name).toBe('.');
      expect(service.build.dockerfile ?? 'Dockerfile', name).toBe('Dockerfile');
      const args = Object.fromEntries(Object.entries(service.build.args ?? {}).map(([k, v]) => [k, String(v)]));
      for (const arg of Object.keys(args)) {
        expect(Object.keys(DOCKERFILE.defaults), `${name}: the Dockerfile declares ARG ${arg}`).toContain(arg);
      }
      expect(APPS, `${name}: APP names an app`).toContain(args.APP);
      expect(args.APP, `${name} builds ${app}`).toBe(app);
      expect(args.PORT, `${name}: PORT is apps/${app}'s default`).toBe(envExample(app).values.PORT);
      expect(args.PORT, `${name}: PORT is the default in apps/${app}/src/config.ts`).toBe(configPort(app));
    }
  });

  it("gives each service a port Caddy proxies to, matching .env.example and the caddyfile in dev", () => {
    for (const { name, app, env } of appServices) {
      const port = env.PORT;
      expect(port, `${name} sets PORT`).toMatch(/^\d+$/);
      expect(upstreamsOf(doc, app), `Caddy proxies to ${name}`).toContain(`127.0.0.1:${port}`);
      if (name === app) expect(port, `${name} PORT`).toBe(envExample(app).values.PORT);
    }
    if (kind === 'dev') {
      for (const app of APPS) {
        expect(upstreamsOf(doc, app).join(' ')).toBe(caddyDefault(`${app.toUpperCase()}_UPSTREAMS`));
      }
    }
  });

  it('sets only environment variables the apps document in .env.example', () => {
    for (const { name, app, service } of appServices) {
      const { names } = envExample(app);
      for (const variable of Object.keys(service.environment ?? {})) {
        if (RUNTIME_VARS.has(variable)) continue;
        expect(names.has(variable), `${name}: ${variable} is not in apps/${app}/.env.example`).toBe(true);
      }
      for (const envFile of service.env_file ?? []) expect(envFile).toBe(`apps/${app}/.env.example`);
    }
  });

  it("health-checks every service on its own /public/health and waits for healthy dependencies", () => {
    for (const { name, env, service } of appServices) {
      expect(service.healthcheck?.test.join(' '), name).toContain(`http://127.0.0.1:${env.PORT}/public/health`);
    }
    for (const [name, service] of services) {
      for (const [target, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(doc.services[target], `${name} depends on ${target}`).toBeDefined();
        expect(['service_healthy', 'service_started', 'service_completed_successfully']).toContain(condition);
        if (condition === 'service_healthy') expect(doc.services[target]!.healthcheck, `${target} has a healthcheck`).toBeDefined();
      }
    }
    for (const { name, service } of appServices) {
      const conditions = Object.values(service.depends_on ?? {}).map((d) => d.condition);
      expect(conditions, `${name} waits for a healthy dependency`).toContain('service_healthy');
    }
  });

  it("publishes ports on Caddy only; the services bind loopback in Caddy's network namespace", () => {
    for (const [name, service] of services) {
      if (name !== 'caddy') expect(service.ports ?? [], `${name} publishes no port`).toEqual([]);
    }
    for (const { name, env, service } of appServices) {
      expect(service.network_mode, name).toBe('service:caddy');
      expect(env.HOST, `${name} binds loopback`).toBe('127.0.0.1');
    }
    const ports = doc.services.caddy!.ports ?? [];
    expect(ports.length).toBeGreaterThan(0);
    if (kind === 'dev') {
      // Every Caddy site: the three services and the OP's mTLS origin (RFC 8705 endpoint aliases).
      const sites = [...APPS.map((app) => `${app.toUpperCase()}_SITE`), 'AUTH_MTLS_SITE'];
      const sitePorts = sites.map((site) => new URL(caddyDefault(site)).port);
      expect(ports.sort()).toEqual(sitePorts.map((p) => `127.0.0.1:${p}:${p}`).sort());
    }
  });

  it('gives every instance its own metrics port on the shared loopback, apart from every service port', () => {
    const servicePorts = appServices.map(({ env }) => env.PORT);
    const metricsPorts = appServices.map(({ name, env }) => {
      expect(env.METRICS_PORT, `${name} sets METRICS_PORT`).toMatch(/^\d+$/);
      expect(env.METRICS_HOST ?? '127.0.0.1', `${name} serves metrics on loopback`).toBe('127.0.0.1');
      return env.METRICS_PORT;
    });
    expect(new Set([...metricsPorts, ...servicePorts]).size).toBe(metricsPorts.length + servicePorts.length);
  });

  it('uses the public issuer URL everywhere, so discovery and token issuers match', () => {
    const issuers = new Set(appServices.map(({ env }) => env.OP_ISSUER));
    expect(issuers.size).toBe(1);
    const site = String(doc.services.caddy!.environment?.AUTH_SITE ?? caddyDefault('AUTH_SITE'));
    expect(issuers.has(site)).toBe(true);
    for (const { name, env } of appServices) expect(env.JWKS_URI, `${name} fetches the JWKS through the issuer`).toBeUndefined();
  });
});

describe('docker-compose.prod.example.yml secrets', () => {
  const text = read(FILES.prod);
  const doc = compose(FILES.prod);

  it('contains no development secret and requires every secret from the environment', () => {
    expect(text.includes('dev-insecure'), 'a development secret in the production example').toBe(false);
    for (const [name, service] of Object.entries(doc.services)) {
      for (const [variable, value] of Object.entries(service.environment ?? {})) {
        if (/SECRET|PASSWORD|CLIENT_ID|ENCRYPTION_KEY/.test(variable)) {
          expect(String(value), `${name}: ${variable}`).toMatch(/^\$\{[A-Z_]+:\?[^}]+\}$/);
        }
        if (variable === 'DATABASE_URL') expect(String(value)).toMatch(/:\$\{[A-Z_]+_DB_PASSWORD:\?[^}]+\}@/);
      }
    }
  });

  it('runs every app in production mode with its own database', () => {
    const databases = new Map<string, string>();
    for (const [name, service] of Object.entries(doc.services)) {
      const app = appOf(name);
      if (!app) continue;
      expect(service.environment?.NODE_ENV, name).toBe('production');
      const url = service.environment?.DATABASE_URL;
      if (url === undefined) continue;
      const database = String(url).split('/').pop()!;
      expect(databases.get(database) ?? app, `${database} belongs to one app`).toBe(app);
      databases.set(database, app);
    }
    expect(new Set(databases.values()).size).toBeGreaterThanOrEqual(2);
  });

  it('runs two OP and two API instances behind Caddy', () => {
    for (const app of ['auth', 'api']) {
      expect(Object.keys(doc.services).filter((name) => appOf(name) === app)).toHaveLength(2);
      expect(upstreamsOf(doc, app)).toHaveLength(2);
    }
  });
});

describe('Dockerfile', () => {
  const file = DOCKERFILE;

  it('is the only one: no app keeps its own', () => {
    for (const dir of readdirSync(join(ROOT, 'apps'))) {
      expect(existsSync(join(ROOT, 'apps', dir, 'Dockerfile')), `apps/${dir}/Dockerfile`).toBe(false);
    }
  });

  it('defaults to an app and that app\'s port in .env.example', () => {
    expect(APPS).toContain(file.defaults.APP);
    expect(file.defaults.PORT).toBe(envExample(file.defaults.APP!).values.PORT);
  });

  it('exposes and defaults to the PORT build arg, and refuses a PORT that is not the app\'s', () => {
    expect(file.expose).toEqual(['${PORT}']);
    expect(file.envPort).toBe('${PORT}');
    expect(file.build).toMatch(/grep -qx "PORT=\$\{PORT\}" "apps\/\$\{APP\}\/\.env\.example"/);
  });

  it('re-declares each build arg in every stage that uses it, before the first use', () => {
    for (const stage of file.stages) {
      const body = stage.slice(stage.indexOf('\n'));
      for (const arg of Object.keys(file.defaults)) {
        const use = new RegExp(`\\$\\{?${arg}\\b`).exec(body)?.index;
        if (use === undefined) continue;
        const declared = new RegExp(`^ARG\\s+${arg}\\b`, 'm').exec(body)?.index;
        expect(declared, `${stage.split('\n')[0]} declares ARG ${arg}`).toBeDefined();
        expect(declared!, `${stage.split('\n')[0]}: ARG ${arg} before its use`).toBeLessThan(use);
      }
    }
  });

  it('shares the dependency layers between apps: APP is declared after the install', () => {
    const install = file.build.indexOf('--frozen-lockfile');
    expect(file.build.indexOf('pnpm fetch')).toBeGreaterThan(-1);
    expect(file.build.indexOf('pnpm fetch')).toBeLessThan(install);
    expect(file.build.search(/^ARG APP\b/m)).toBeGreaterThan(install);
  });

  it('trusts an optional build CA (BUILD_CA_CERT) in the build stage only, before its first download', () => {
    const build = file.build;
    const declared = build.search(/^ARG BUILD_CA_CERT$/m);
    expect(declared).toBeGreaterThan(-1);
    // Off by default: .npmrc stands in for the file, and NODE_EXTRA_CA_CERTS keeps the base image's value.
    const copy = build.indexOf('COPY ${BUILD_CA_CERT:-.npmrc} ./${BUILD_CA_CERT:-.npmrc}');
    const env = build.indexOf('ENV NODE_EXTRA_CA_CERTS=${BUILD_CA_CERT:+/repo/}${BUILD_CA_CERT:-$NODE_EXTRA_CA_CERTS}');
    expect(copy).toBeGreaterThan(declared);
    expect(env).toBeGreaterThan(copy);
    expect(env).toBeLessThan(build.indexOf('npm install'));
    expect(build.search(/^WORKDIR \/repo$/m)).toBeLessThan(copy);
    expect(file.runtime).not.toContain('BUILD_CA_CERT');
  });

  it('runs production dependencies as a non-root user with a health check', () => {
    expect(file.text).toMatch(/^FROM node:22|ARG NODE_IMAGE=node:22-bookworm-slim/m);
    expect(file.text).toContain('--frozen-lockfile');
    expect(file.text).toMatch(new RegExp(`deploy --prod --legacy`));
    expect(file.user).toBeDefined();
    expect(file.user).not.toMatch(/^(root|0)(:|$)/);
    expect(file.runtime).toContain('NODE_ENV=production');
    expect(file.runtime).toMatch(/^HEALTHCHECK .*\/public\/health/ms);
    // HEALTHCHECK does not expand build args: the port comes from the container's PORT.
    expect(file.runtime).toMatch(/^HEALTHCHECK .*'http:\/\/127\.0\.0\.1:' \+ process\.env\.PORT \+ '\/public\/health'/ms);
    expect(file.runtime).toMatch(/^CMD \["node", "dist\/main\.js"\]/m);
  });
});

describe.each(APPS)('apps/%s', (app) => {
  it('defaults to the same port in src/config.ts and .env.example', () => {
    expect(configPort(app), `PORT: envPort(...) in apps/${app}/src/config.ts`).toBeDefined();
    expect(configPort(app)).toBe(envExample(app).values.PORT);
  });

  it('builds an app that mounts the shared health routes', () => {
    const src = join(ROOT, 'apps', app, 'src');
    const sources = readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(join(src, f), 'utf8'));
    expect(sources.some((s) => /\bhealthRoutes\(/.test(s))).toBe(true);
  });
});

describe('the shared health routes', () => {
  it('serve GET /public/health, the path every health check uses', () => {
    // apps/shared/test covers the route's behaviour over HTTP; this pins the path.
    expect(read('apps/shared/src/http.ts')).toMatch(/router\.get\('\/public\/health'/);
  });
});

const dockerCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
const hasDockerCompose = dockerCompose.status === 0;
if (!hasDockerCompose) {
  console.warn('[compose.test] docker-compose is not installed: skipping `docker-compose config -q` (apt-get install --no-install-recommends docker-compose)');
}

describe.skipIf(!hasDockerCompose)('docker-compose config -q', () => {
  const config = (file: string, env: Record<string, string> = {}) =>
    spawnSync('docker-compose', ['-f', file, 'config', '-q'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    });

  it('accepts docker-compose.yml as it is', () => {
    const run = config(FILES.dev);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('accepts the production example once its variables are set, and refuses to start without them', () => {
    const required = [...new Set([...read(FILES.prod).matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1]!))];
    const env = Object.fromEntries(required.map((name) => [name, name.endsWith('URL') || name === 'OP_ISSUER' ? `https://${name.toLowerCase()}.example.com` : 'x'.repeat(64)]));
    const ok = config(FILES.prod, env);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);

    const missing = config(FILES.prod, { ...env, AUTH_COOKIE_SECRET: '' });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('generate with pnpm secrets');
  });
});
