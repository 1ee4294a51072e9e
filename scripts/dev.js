#!/usr/bin/env node
// `pnpm dev` (all three services with hot reload + CSS watch + Caddy) and
// `pnpm dev:<auth|api|app>` (one service). Prepares .env files and Caddy's CA first.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import concurrently from 'concurrently';
import { ensureCaBundle, ROOT } from '@kit/harness/caddy';

const SERVICES = { auth: 'blue', api: 'green', app: 'magenta' };
const only = process.argv[2];
if (only && !(only in SERVICES)) {
  console.error(`usage: node scripts/dev.js [${Object.keys(SERVICES).join('|')}]`);
  process.exit(2);
}

function ensureEnvFiles() {
  for (const service of Object.keys(SERVICES)) {
    const env = join(ROOT, 'apps', service, '.env');
    if (!existsSync(env)) {
      copyFileSync(join(ROOT, 'apps', service, '.env.example'), env);
      console.log(`[dev] created apps/${service}/.env from .env.example (development defaults)`);
    }
  }
}

function envOf(service) {
  return parseEnv(readFileSync(join(ROOT, 'apps', service, '.env'), 'utf8'));
}

function healthy(url, ca) {
  return new Promise((resolve) => {
    const send = url.startsWith('https:') ? request : httpRequest;
    const req = send(`${url}/public/health`, { ca, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function announceWhenReady(urls, upstreams, ca) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    // The services themselves first (loopback), then through Caddy: probing Caddy before its
    // upstreams are up only fills its log with "no upstreams available".
    const direct = await Promise.all(upstreams.map((u) => healthy(u)));
    const states = direct.every(Boolean) ? await Promise.all(Object.values(urls).map((u) => healthy(u, ca))) : [false];
    if (states.every(Boolean)) {
      const line = '─'.repeat(64);
      console.log(
        `\n${line}\n  Ready (HTTPS through Caddy):\n` +
          `    OpenID Provider  ${urls.auth}/.well-known/openid-configuration\n` +
          `    FDX API          ${urls.api}/api/fdx/v6\n` +
          `    App              ${urls.app}\n` +
          `  Demo login: user@example.test / passw0rd!  (also user2@example.test, blocked@example.test)\n` +
          `  Browser warning? Import .caddy/data/pki/authorities/local/root.crt as a trusted CA.\n${line}\n`,
      );
      return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  console.error('[dev] services did not become healthy within 120 s; see the logs above');
}

ensureEnvFiles();
const bundle = await ensureCaBundle();
const css = spawnSync('pnpm', ['-r', '--if-present', 'build:css'], { cwd: ROOT, stdio: 'inherit' });
if (css.status !== 0) process.exit(css.status ?? 1);

const env = { NODE_EXTRA_CA_CERTS: bundle, FORCE_COLOR: '1' };
const services = only ? [only] : Object.keys(SERVICES);
const commands = services.map((name) => ({
  name,
  command: `pnpm --filter @apps/${name} dev`,
  prefixColor: SERVICES[name],
  env,
}));
if (!only) {
  for (const service of Object.keys(SERVICES)) {
    const { scripts = {} } = JSON.parse(readFileSync(join(ROOT, 'apps', service, 'package.json'), 'utf8'));
    if (scripts['css:watch']) {
      commands.push({ name: `${service}:css`, command: `pnpm --filter @apps/${service} css:watch`, prefixColor: 'gray', env });
    }
  }
  // Active health checks every second in dev, so Caddy sees the services soon after they start.
  commands.push({ name: 'caddy', command: 'node scripts/caddy.js', prefixColor: 'yellow', env: { ...env, CADDY_HEALTH_INTERVAL: '1s' } });
}

const { result } = concurrently(commands, { cwd: ROOT, killOthersOn: ['failure', 'success'], prefix: 'name' });
if (!only) {
  const urls = { auth: envOf('auth').OP_ISSUER, api: envOf('api').API_URL, app: envOf('app').APP_URL };
  const upstreams = Object.keys(SERVICES).map((name) => {
    const { HOST = '127.0.0.1', PORT } = envOf(name);
    return `http://${HOST}:${PORT}`;
  });
  void announceWhenReady(urls, upstreams, readFileSync(bundle));
}
result.then(
  () => process.exit(0),
  () => process.exit(1),
);
