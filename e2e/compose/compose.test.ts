// `docker compose up`, proven: the three images built from this repository's Dockerfile, the
// development compose file up and walked in Chromium through Caddy (the e2e demo-user journey),
// then the production example with generated secrets, PostgreSQL in a container, two OP and two
// API instances sharing state. Runs after every other test (`pnpm test:compose`, last step of
// scripts/test.sh, after scripts/docker/engine.sh up); skips only where Docker cannot run.
// Images, sizes, build time and time to healthy are printed ([compose] lines).
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBrowser, type BrowserSession } from '@kit/harness/browser';
import { ROOT } from '@kit/harness/caddy';
import { Https, httpsGet } from '@kit/harness/http';
import { demoUserJourney } from '@kit/harness/journeys';
import { OAuthClient } from '@kit/harness/oauth';
import { USERS } from '@kit/harness/op-pages';
import { freePort } from '@kit/harness/ports';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComposeProject, docker, dockerUnavailable, imageFacts } from './docker.js';

const APPS = ['auth', 'api', 'app'] as const;
const unavailable = dockerUnavailable();
if (unavailable) console.warn(`[compose] SKIPPED: Docker cannot run here: ${unavailable}`);

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const report = (line: string) => console.log(`[compose] ${line}`);

/** Node tells whether a loopback port can be bound (docker-compose.yml publishes fixed ports). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe.skipIf(unavailable !== undefined).sequential('docker compose', () => {
  // Own project names: nothing shared with a developer's `docker compose up` of the same files.
  const dev = new ComposeProject('kitcomposedev', ['docker-compose.yml']);
  const devUrls = { auth: 'https://localhost:8443', api: 'https://localhost:8444', app: 'https://localhost:8445' };
  let buildMs = 0;

  afterAll(async () => {
    await dev.down();
    if (prodStarting) {
      await prodStarting.catch(() => undefined);
      http?.close();
      await prod?.down();
      for (const a of APPS) await docker(['rmi', `open-finance/${a}:latest`], { allowFailure: true });
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe("the Dockerfile's optional build CA (BUILD_CA_CERT)", () => {
    // Proven where it matters: the machine reaches the npm registry only with its extra CA
    // (NODE_EXTRA_CA_CERTS, e.g. a TLS-inspecting proxy's root). The Dockerfile's build stage up to
    // its first download, then one npm request to the registry (no retries, so a refusal is quick),
    // on the node image without that CA: refused alone, answered with --build-arg BUILD_CA_CERT.
    const extraCa = process.env.NODE_EXTRA_CA_CERTS;
    const needsCa =
      extraCa !== undefined &&
      existsSync(extraCa) &&
      spawnSync(process.execPath, ['-e', "fetch('https://registry.npmjs.org/pnpm').then(() => process.exit(0), () => process.exit(1))"], {
        env: { PATH: process.env.PATH },
        timeout: 30_000,
      }).status !== 0;
    if (!needsCa) console.warn('[compose] BUILD_CA_CERT: the npm registry is reachable without an extra CA here; nothing to prove');

    it.skipIf(!needsCa)("lets the build stage reach the registry through a TLS-inspecting proxy; without it npm is refused", async () => {
      const context = mkdtempSync(join(tmpdir(), 'kit-build-ca-'));
      try {
        const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
        const firstDownload = dockerfile.indexOf('\nRUN npm install --global');
        expect(firstDownload).toBeGreaterThan(0);
        writeFileSync(join(context, 'Dockerfile'), `${dockerfile.slice(0, firstDownload + 1)}RUN npm view --fetch-retries=0 pnpm@10 version\n`);
        copyFileSync(join(ROOT, '.npmrc'), join(context, '.npmrc'));
        mkdirSync(join(context, 'certs'));
        copyFileSync(extraCa!, join(context, 'certs/proxy-ca.pem'));
        // The node image as published: Node's own CAs only (the stand-in carries the machine's CA).
        await docker(['build', '-t', 'kit-compose/node-without-extra-ca', '-'], { input: 'FROM node:22-bookworm-slim\nENV NODE_EXTRA_CA_CERTS=\n' });
        const build = (args: string[]) =>
          docker(['build', '--force-rm', '--build-arg', 'NODE_IMAGE=kit-compose/node-without-extra-ca', ...args, context], { allowFailure: true, timeoutMs: 120_000 });
        const without = await build([]);
        expect(without.status).not.toBe(0);
        expect(`${without.stdout}${without.stderr}`).toMatch(/SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
        const withCa = await build(['--no-cache', '-t', 'kit-compose/build-ca-check', '--build-arg', 'BUILD_CA_CERT=certs/proxy-ca.pem']);
        expect(withCa.status, withCa.stdout.split('\n').slice(-20).join('\n')).toBe(0);
      } finally {
        rmSync(context, { recursive: true, force: true });
        for (const image of ['kit-compose/build-ca-check', 'kit-compose/node-without-extra-ca']) await docker(['rmi', image], { allowFailure: true });
      }
    }, 300_000);
  });

  let dir: string | undefined;
  const names = { auth: 'id.test', api: 'api.test', app: 'app.test' };
  const urls = { auth: `https://${names.auth}`, api: `https://${names.api}`, app: `https://${names.app}` };
  let prod: ComposeProject;
  let http: Https;
  let client: { id: string; secret: string };

  /** `pnpm secrets <command>` output (KEY=value lines, JWKS quoted) as an object. */
  function secrets(command: string): Record<string, string> {
    const out = spawnSync(process.execPath, [join(ROOT, 'scripts/secrets.js'), command], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(out.stderr);
    return Object.fromEntries(out.stdout.split('\n').filter(Boolean).map((line) => {
      const [key, ...rest] = line.split('=');
      return [key!, rest.join('=').replace(/^'(.*)'$/, '$1')];
    }));
  }

  /**
   * Brings the production example up (and adds a customer). It starts while the development stack's
   * tests run (other project, other ports): its minute of health checks overlaps them.
   */
  async function startProd(): Promise<void> {
    const hex = () => randomBytes(32).toString('hex');
    dir = mkdtempSync(join(tmpdir(), 'kit-compose-prod-'));
    const app = secrets('client');
    client = { id: app.CLIENT_ID!, secret: app.CLIENT_SECRET! };
    const [httpsPort, httpPort] = [await freePort(), await freePort()];
    // Debian bookworm's PostgreSQL stand-in (scripts/docker/engine.sh) where the official image cannot be pulled.
    const officialPostgres = (await docker(['image', 'inspect', 'postgres:16-bookworm'], { allowFailure: true })).status === 0;
    const postgresImage = officialPostgres ? 'postgres:16-bookworm' : 'postgres:15-bookworm';
    const caFile = join(dir, 'caddy-root.pem');
    writeFileSync(caFile, '', { mode: 0o644 });
    // What a test needs that a real deployment has: the public names resolve to this host (Caddy's
    // namespace, where the services run, so /etc/hosts there), Caddy's internal CA instead of ACME
    // (CADDY_TLS=internal through ACME_EMAIL), trusted by the services, and free local ports.
    const node = { environment: { NODE_EXTRA_CA_CERTS: '/etc/kit-caddy-root.pem' }, volumes: [`${caFile}:/etc/kit-caddy-root.pem:ro`] };
    const override = {
      services: {
        caddy: { extra_hosts: Object.values(names).map((name) => `${name}:127.0.0.1`) },
        postgres: { image: postgresImage },
        auth: node,
        'auth-2': node,
        api: { ...node, environment: { ...node.environment, SEED_ON_START: 'true' } },
        'api-2': node,
        app: node,
      },
    };
    const overrideFile = join(dir, 'test.override.yml');
    writeFileSync(overrideFile, JSON.stringify(override, null, 2));
    prod = new ComposeProject('kitcomposeprod', ['docker-compose.prod.example.yml', overrideFile], {
      OP_ISSUER: urls.auth,
      API_URL: urls.api,
      APP_URL: urls.app,
      ACME_EMAIL: 'internal',
      PUBLISH_HTTPS: `127.0.0.1:${httpsPort}`,
      PUBLISH_HTTP: `127.0.0.1:${httpPort}`,
      AUTH_COOKIE_SECRET: hex(),
      APP_COOKIE_SECRET: hex(),
      AUTH_JWKS: secrets('jwks').JWKS!,
      AUTH_KEYS_ENCRYPTION_KEY: hex(),
      AUTH_TOKEN_HASH_KEY: hex(),
      INTERNAL_SECRET: hex(),
      API_CURSOR_SECRET: hex(),
      AUTH_REGISTRATION_TOKEN: hex(),
      APP_CLIENT_ID: client.id,
      APP_CLIENT_SECRET: client.secret,
      POSTGRES_PASSWORD: hex(),
      AUTH_DB_PASSWORD: hex(),
      API_DB_PASSWORD: hex(),
      APP_DB_PASSWORD: hex(),
    });
    await prod.down();
    // The images built above, under the production file's tags: nothing is built twice.
    for (const a of APPS) await docker(['tag', `open-finance/${a}:dev`, `open-finance/${a}:latest`]);

    const up = Date.now();
    // Caddy first: the services read NODE_EXTRA_CA_CERTS once, so its CA must exist before they start.
    await prod.run(['up', '-d', '--no-build', 'caddy', 'postgres'], { timeoutMs: 300_000 });
    const ca = await until("Caddy's internal CA", 60_000, async () => {
      const res = await prod.run(['exec', '-T', 'caddy', 'cat', '/data/caddy/pki/authorities/local/root.crt'], { allowFailure: true });
      return res.status === 0 && res.stdout.includes('END CERTIFICATE') ? res.stdout : undefined;
    });
    writeFileSync(caFile, ca);
    await prod.run(['up', '-d', '--no-build'], { timeoutMs: 300_000 });
    await prod.waitHealthy(['caddy', 'postgres', 'auth', 'auth-2', 'api', 'api-2', 'app'], 240_000);
    report(`docker-compose.prod.example.yml (${postgresImage}): postgres, 2 auth, 2 api, app healthy ${seconds(Date.now() - up)} after up -d`);

    http = new Https(Buffer.from(ca), 16, {
      connectTo: (url) => (Object.values(names).includes(url.hostname) ? { host: '127.0.0.1', port: httpsPort } : undefined),
    });

    // A customer, added as an operator would (`pnpm kit customers add` is the image's dist/cli.js).
    await prod.run(['exec', '-T', 'auth', 'node', 'dist/cli.js', 'customers', 'add', USERS.demo.sub, '--email', USERS.demo.email, '--name', 'Compose Test', '--password-stdin'], {
      input: USERS.demo.password,
    });
  }
  let prodStarting: Promise<void> | undefined;

  describe('docker-compose.yml', () => {
    let browser: BrowserSession | undefined;
    let caddyCa: Buffer;

    beforeAll(async () => {
      for (const port of [8443, 8444, 8445]) {
        if (!(await portFree(port))) throw new Error(`127.0.0.1:${port} is taken (a dev stack or another compose stack?): docker-compose.yml publishes 8443-8445`);
      }
      await dev.down(); // leftovers of an interrupted run
      const started = Date.now();
      // auth first: it builds the layers the three share (pnpm fetch and install); then the other two side by side.
      await dev.run(['build', 'auth'], { timeoutMs: 900_000 });
      await dev.run(['build', '--parallel', 'api', 'app'], { timeoutMs: 900_000 });
      buildMs = Date.now() - started;
      report(`built open-finance/{auth,api,app}:dev in ${seconds(buildMs)} (legacy builder, with the layer cache this machine had)`);
      for (const app of APPS) report(`open-finance/${app}:dev ${((await imageFacts(`open-finance/${app}:dev`)).sizeBytes / 1e6).toFixed(0)} MB`);

      const up = Date.now();
      await dev.run(['up', '-d', '--no-build'], { timeoutMs: 300_000 });
      await dev.waitHealthy(['caddy', ...APPS], 180_000);
      report(`docker-compose.yml: caddy, auth, api, app healthy ${seconds(Date.now() - up)} after up -d`);
      caddyCa = Buffer.from((await dev.run(['exec', '-T', 'caddy', 'cat', '/data/caddy/pki/authorities/local/root.crt'])).stdout);
      prodStarting = startProd();
      prodStarting.catch(() => undefined); // reported by the production example's beforeAll
    }, 1_200_000);

    afterAll(async () => {
      await browser?.close();
    });

    it.each(APPS)('open-finance/%s runs as a non-root user, with production dependencies only', async (app) => {
      const image = `open-finance/${app}:dev`;
      const facts = await imageFacts(image);
      expect(facts.user).toBe('node');
      expect(facts.healthcheck.join(' ')).toContain('/public/health');
      const [container] = (await dev.run(['ps', '-q', app])).stdout.split('\n');
      expect((await docker(['exec', container!, 'id', '-u'])).stdout.trim()).toBe('1000');
      // Every installed package is a dependency of the app (or of one): none of its devDependencies.
      const check = `const p = require('/app/package.json'); const fs = require('fs');
        const dev = Object.keys(p.devDependencies ?? {}).filter((d) => fs.existsSync('/app/node_modules/' + d));
        console.log(JSON.stringify({ devInstalled: dev, deps: Object.keys(p.dependencies ?? {}).length }));`;
      const out = JSON.parse((await docker(['run', '--rm', '--entrypoint', 'node', image, '-e', check])).stdout) as { devInstalled: string[]; deps: number };
      expect(out.devInstalled).toEqual([]);
      expect(out.deps).toBeGreaterThan(0);
      // The code is root's and read-only for the service; only /data is writable.
      expect((await docker(['exec', container!, 'sh', '-c', 'test -w /app/dist || test -w /app && echo writable || echo read-only'])).stdout.trim()).toBe('read-only');
    });

    it.each(APPS)('%s answers /public/health through Caddy, verified against Caddy\'s CA from the volume', async (app) => {
      const res = await httpsGet(`${devUrls[app]}/public/health`, caddyCa);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
    });

    it('walks the demo user in Chromium: login, consent, FDX accounts, transactions, statement, refresh, logout', async () => {
      browser = await openBrowser();
      await demoUserJourney(browser, devUrls, { screenshots: 'compose-', discoveryTimeoutMs: 60_000 });
    }, 180_000);

    it('`down -v` removes the containers, the network and the volumes', async () => {
      await dev.run(['down', '-v', '--remove-orphans', '-t', '5']);
      expect(await dev.containerIds()).toEqual([]);
      const volumes = await docker(['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${dev.name}`]);
      expect(volumes.stdout.trim()).toBe('');
      const networks = await docker(['network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${dev.name}`]);
      expect(networks.stdout.trim()).toBe('');
    });
  });

  describe('docker-compose.prod.example.yml', () => {
    beforeAll(async () => {
      await (prodStarting ??= startProd());
    }, 900_000);

    it.each([
      ['auth', ['auth-1', 'auth-2']],
      ['api', ['api-1', 'api-2']],
      ['app', ['']],
    ] as const)('%s: every instance answers /public/health through Caddy (HTTPS, its CA verified)', async (service, instances) => {
      const seen = new Set<string>();
      await until(`${instances.join(' and ')} behind Caddy`, 30_000, async () => {
        // Back to back: the API instances' consent-feed polls take turns in the OP's round robin too,
        // so single probes at a steady pace can keep landing on the same instance.
        for (let i = 0; i < 3; i += 1) {
          const res = await http.fetch(`${urls[service]}/public/health`);
          expect(res.status).toBe(200);
          seen.add(res.servedBy);
        }
        return instances.every((i) => seen.has(i) || i === '') ? true : undefined;
      });
    });

    it('shares state: a login on one OP instance, refreshes on both, FDX calls on both API instances', async () => {
      const agent = new OAuthClient(urls.auth, {
        client: { client_id: client.id, client_secret: client.secret, redirect_uris: [`${urls.app}/callback`] },
        http,
        apiUrl: urls.api,
        authorization: { scope: 'openid offline_access accounts:read customers:read', prompt: 'consent' },
      });
      const { page, verifier } = await agent.startAuthorization();
      const code = await agent.consent(await agent.login(page, USERS.demo.email, USERS.demo.password));
      const exchanged = await agent.exchange(code, verifier);
      expect(exchanged.status, exchanged.text).toBe(200);
      let tokens = exchanged.body;
      expect(tokens.refresh_token).toBeTruthy();
      const loginServedBy = new Set(agent.servedBy.filter(Boolean));

      // Caddy's round robin alternates: consecutive refreshes land on both instances, each one
      // redeeming a refresh token the other instance (or the login's) issued. The API instances'
      // consent-feed polls go through the same round robin, so keep going until both have answered.
      const refreshedBy = new Set<string>();
      const apiServedBy = new Set<string>();
      for (let i = 0; i < 4 || (i < 16 && (refreshedBy.size < 2 || apiServedBy.size < 2)); i++) {
        const refreshed = await agent.refresh(tokens.refresh_token!);
        expect(refreshed.status, refreshed.text).toBe(200);
        refreshedBy.add(refreshed.servedBy);
        tokens = refreshed.body;
        const accounts = await agent.api('/accounts', tokens.access_token);
        expect(accounts.status, accounts.body).toBe(200);
        expect(JSON.stringify(accounts.json())).toContain('acc-10001-checking');
        apiServedBy.add(accounts.servedBy);
      }
      report(`login served by ${[...loginServedBy].sort().join(', ')}; refreshes by ${[...refreshedBy].sort().join(', ')}; FDX calls by ${[...apiServedBy].sort().join(', ')}`);
      expect([...refreshedBy].sort()).toEqual(['auth-1', 'auth-2']);
      expect([...apiServedBy].sort()).toEqual(['api-1', 'api-2']);
    });
  });
});
