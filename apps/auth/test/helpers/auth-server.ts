import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '@apps/shared';
import { TEST_CLIENT } from '@kit/harness/oauth';
import type { TestStore } from '@kit/harness/store';
import { startServer, type AuthService } from '../../src/server.js';
import { loadAuthConfig, type AuthConfig } from '../../src/config.js';
import type { Fetch } from '../../src/provider/client-id-documents.js';
import { startCatalogServer, type CatalogServer } from '@kit/harness/account-catalog';

/** INTERNAL_SECRET of test OPs (and of the catalog server they ask for accounts). */
export const TEST_INTERNAL_SECRET = 'test-internal-secret-0123456789abcdef-0000000';

export const PUBLIC_CLIENT = {
  client_id: 'test-public',
  client_name: 'Test Public Client',
  redirect_uris: ['http://127.0.0.1/callback'],
};

export interface TestAuth {
  /** The OP's issuer (its own URL unless OP_ISSUER was given, e.g. to share one with another instance). */
  issuer: string;
  /** Where this instance listens. */
  url: string;
  config: AuthConfig;
  current: AuthService;
  /** The API's accounts route the consent page asks (contract §4), served in-process. */
  catalog: CatalogServer;
  /**
   * Closes the app and its database, then builds a new one on the same database and URL; `between`
   * runs while it is down (e.g. to put the database in an older release's state).
   */
  restart(between?: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/**
 * The OP in-process on an ephemeral loopback port, issuer http://127.0.0.1:<port>.
 * The HTTP listener stays up across restart() so the issuer does not change.
 */
export async function startTestAuth(
  store: TestStore,
  env: Record<string, string> = {},
  /** Receives every log line (level info and up), e.g. to prove what is never logged. */
  onLog?: (line: string) => void,
  /** How the OP fetches what clients publish (e.g. `fetchTrusting` a test origin's CA). */
  options: { fetch?: Fetch } = {},
): Promise<TestAuth> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const issuer = env.OP_ISSUER ?? url;
  const catalog = await startCatalogServer(env.INTERNAL_SECRET ?? TEST_INTERNAL_SECRET);
  const config = loadAuthConfig({
    INTERNAL_SECRET: TEST_INTERNAL_SECRET,
    API_INTERNAL_URL: catalog.url,
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    OP_ISSUER: issuer,
    OIDC_CLIENTS: JSON.stringify([TEST_CLIENT, PUBLIC_CLIENT]),
    ...store.env,
    ...env,
  });
  const sink = onLog
    ? new Writable({
        write(chunk: Buffer, _enc, done) {
          onLog(chunk.toString('utf8'));
          done();
        },
      })
    : undefined;
  const logger = createLogger({ name: 'auth-test', level: onLog ? 'info' : (process.env.TEST_LOG_LEVEL ?? 'silent') }, sink);
  const handle: TestAuth = {
    issuer,
    url,
    config,
    catalog,
    current: await startServer(config, logger, options),
    async restart(between) {
      await handle.current.close();
      await between?.();
      handle.current = await startServer(config, logger, options);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await handle.current.close();
      await catalog.close();
    },
  };
  server.on('request', (req, res) => {
    handle.current.app(req, res);
  });
  return handle;
}
