// `pnpm scale`: the scale-out topology on this machine. Two OP instances and two API instances
// behind Caddy (round robin, active health checks on /public/health), one app, each service on
// its own PostgreSQL database (created if missing) and the instances of a service sharing keys.
//   DATABASE_URL   PostgreSQL server to use (default postgres://postgres@127.0.0.1:5432/postgres);
//                  databases kit_scale_auth, kit_scale_api, kit_scale_app are created on it.
//   AUTH_INSTANCES, API_INSTANCES  instance counts (default 2 each).
// Signing keys and cookie keys are generated once into .data/scale-secrets.json (git-ignored).
// Ports and Caddy's CA are fresh for each run (printed below); Ctrl-C stops everything.
import { join } from 'node:path';
import { ROOT } from '@kit/harness/caddy';
import { ensureDatabases } from '@kit/harness/postgres';
import { loadOrCreateSecrets, startTopology } from '@kit/harness/topology';

const base = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const count = (name: string) => Math.max(1, Number.parseInt(process.env[name] ?? '2', 10) || 2);

const [auth, api, app] = await ensureDatabases(base, ['kit_scale_auth', 'kit_scale_api', 'kit_scale_app']);
const secrets = loadOrCreateSecrets(join(ROOT, '.data/scale-secrets.json'));
const stack = await startTopology({
  databaseUrls: { auth: auth!, api: api!, app: app! },
  secrets,
  instances: { auth: count('AUTH_INSTANCES'), api: count('API_INSTANCES') },
});

const lines = [
  'scale-out topology is up (Caddy round robin, health checks every 1s):',
  `  OP   ${stack.urls.auth}   ${stack.instances.filter((i) => i.service === 'auth').map((i) => `${i.id}=127.0.0.1:${i.port}`).join(' ')}`,
  `  API  ${stack.urls.api}   ${stack.instances.filter((i) => i.service === 'api').map((i) => `${i.id}=127.0.0.1:${i.port}`).join(' ')}`,
  `  app  ${stack.urls.app}   (sign in as user@example.test / passw0rd!)`,
  `  Caddy's throwaway CA: ${stack.caBundlePath}   logs: ${stack.dir}/*.log`,
  '  every response carries X-Served-By: <instance id>. Ctrl-C to stop.',
];
process.stdout.write(`${lines.join('\n')}\n`);

let stopping = false;
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('stopping…\n');
  void stack.stop().then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
