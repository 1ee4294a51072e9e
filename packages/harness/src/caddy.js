// Caddy and its local CA, kept inside the repo (.caddy/, ignored) so nothing is trusted
// system-wide. Node services trust it through NODE_EXTRA_CA_CERTS pointing at a bundle of
// the system CAs plus Caddy's root (the system CAs keep npm and registries working).
// Plain JavaScript (with caddy.d.ts) so `node scripts/dev.js` and `node scripts/caddy.js` import
// it without a build; the stack starter (stack.ts) runs a private Caddy through it too.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is packages/harness/src/caddy.js). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CADDY_DIR = join(ROOT, '.caddy');
export const CADDY_STORAGE = join(CADDY_DIR, 'data');
export const ROOT_CA = join(CADDY_STORAGE, 'pki/authorities/local/root.crt');
export const CA_BUNDLE = join(CADDY_DIR, 'ca-bundle.pem');
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];

export function caddyBinary() {
  const local = join(ROOT, '.tools/bin/caddy');
  if (existsSync(local)) return local;
  const found = spawnSync('sh', ['-c', 'command -v caddy'], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error('caddy not found: run ./scripts/start.sh (installs it) or install Caddy 2');
  return found;
}

export function caddyEnv(extra = {}) {
  mkdirSync(CADDY_STORAGE, { recursive: true });
  return {
    ...process.env,
    CADDY_STORAGE,
    XDG_DATA_HOME: join(CADDY_DIR, 'xdg-data'),
    XDG_CONFIG_HOME: join(CADDY_DIR, 'xdg-config'),
    ...extra,
  };
}

/** Starts `caddy run` with the repo's caddyfile; the caller owns the child. */
export function startCaddy({ config = join(ROOT, 'caddyfile'), env = {}, stdio = 'inherit' } = {}) {
  return spawn(caddyBinary(), ['run', '--config', config, '--adapter', 'caddyfile'], {
    cwd: ROOT,
    env: caddyEnv(env),
    stdio,
  });
}

/** The system CAs followed by Caddy's root certificate `rootCa`: one PEM for NODE_EXTRA_CA_CERTS. */
export function caBundle(rootCa) {
  const system = SYSTEM_BUNDLES.find((p) => existsSync(p));
  return (system ? readFileSync(system, 'utf8') + '\n' : '') + readFileSync(rootCa, 'utf8');
}

async function waitFor(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Makes sure Caddy's local root CA exists (a first, short Caddy run creates it) and writes
 * the bundle for NODE_EXTRA_CA_CERTS. Returns the bundle path.
 */
export async function ensureCaBundle() {
  if (!existsSync(ROOT_CA)) {
    const caddy = startCaddy({ stdio: 'ignore' });
    try {
      await waitFor(() => existsSync(ROOT_CA), 30_000, "Caddy's local CA");
    } finally {
      caddy.kill('SIGTERM');
    }
  }
  const bundle = caBundle(ROOT_CA);
  const current = existsSync(CA_BUNDLE) ? readFileSync(CA_BUNDLE, 'utf8') : '';
  if (current !== bundle) writeFileSync(CA_BUNDLE, bundle);
  return CA_BUNDLE;
}
