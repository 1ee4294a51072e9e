// The OP under benchmark, in its own Node process (forked by lib/auth-token.ts) so the load generator
// never shares its event loop. BENCH_STORE picks the persistence: `memory` (oidc-provider's
// in-memory adapter; users, rate limits and audit still on SQLite), `sqlite` or `postgres`.
// Any other environment (e.g. ACCESS_TOKEN_SIGNING_ALG) is passed to the config as is.
// Sends { issuer } over IPC once it listens; stops on SIGTERM or when the parent goes away.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadAuthConfig, startServer } from '@apps/auth';
import { createLogger } from '@apps/shared';
import { startCatalogServer } from '@kit/harness/account-catalog';
import { TEST_CLIENT } from '@kit/harness/oauth';
import { createTestStore } from '@kit/harness/store';

const store = process.env.BENCH_STORE ?? 'sqlite';
if (!['memory', 'sqlite', 'postgres'].includes(store)) throw new Error(`BENCH_STORE must be memory, sqlite or postgres, not ${store}`);

const db = await createTestStore(store === 'postgres' ? 'postgres' : 'sqlite');
const server = createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
// The consent page lists the customer's accounts from the API: a stand-in serves them (contract §4).
const INTERNAL_SECRET = 'bench-internal-secret-0123456789abcdef-000000';
const catalog = await startCatalogServer(INTERNAL_SECRET);
const config = loadAuthConfig({
  ...process.env,
  INTERNAL_SECRET,
  API_INTERNAL_URL: catalog.url,
  NODE_ENV: 'test',
  OP_ISSUER: issuer,
  OIDC_CLIENTS: JSON.stringify([TEST_CLIENT]),
  // The load comes from one address, client and user: rate limits would measure themselves.
  // (oidc-provider's in-memory adapter is an LRU that can drop the session: the driver signs in again.)
  RATE_LIMIT_TOKEN_PER_IP: '1000000000',
  RATE_LIMIT_TOKEN_PER_CLIENT: '1000000000',
  RATE_LIMIT_TOKEN_PER_OPERATOR_CLIENT: '1000000000',
  RATE_LIMIT_REFRESH_PER_GRANT: '1000000000',
  RATE_LIMIT_LOGIN_PER_IP: '1000000000',
  RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000000000',
  // Parallel sign-ins of the one demo customer each reserve a verification before the password is
  // checked: many customers signing in at once never share that count, so it must not trip here.
  LOGIN_LOCKOUT_THRESHOLD: '1000000000',
  // Codes are made in a batch before they are exchanged.
  AUTHORIZATION_CODE_TTL: '600',
  ...db.env,
});
const auth = await startServer(config, createLogger({ name: 'bench-op', level: 'silent' }), { memoryAdapter: store === 'memory' });
server.on('request', (req, res) => {
  auth.app(req, res);
});

async function stop(): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await auth.close();
  await catalog.close();
  await db.cleanup();
  process.exit(0);
}
process.once('SIGTERM', () => void stop());
process.once('disconnect', () => void stop());
process.send!({ issuer });
