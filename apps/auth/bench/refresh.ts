// `pnpm bench:auth`: refresh-token grants per second on the embedded SQLite default, beside the
// machine's RS256 signing rate (each grant signs an access token and an ID token, so the bound is
// half of it) and oidc-provider's in-memory adapter, all measured in this run.
import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@apps/shared';
import { startAuth } from '../src/app.js';
import { loadAuthConfig } from '../src/config.js';
import { PUBLIC_CLIENT, TEST_CLIENT } from '../test/helpers/auth_server.js';
import { createTestStore } from '../test/helpers/db.js';
import { Browser, authorize, exchange, tokenRequest } from '../test/helpers/flow.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

function signingRate(): number {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = Buffer.alloc(600, 1);
  const end = performance.now() + 2000;
  let n = 0;
  while (performance.now() < end) {
    sign('sha256', data, privateKey);
    n++;
  }
  return n / 2;
}

async function refreshRate(memoryAdapter: boolean): Promise<number> {
  const store = await createTestStore('sqlite');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = loadAuthConfig({
    NODE_ENV: 'test',
    OP_ISSUER: issuer,
    OIDC_CLIENTS: JSON.stringify([TEST_CLIENT, PUBLIC_CLIENT]),
    RATE_LIMIT_TOKEN_PER_IP: '100000000',
    RATE_LIMIT_TOKEN_PER_CLIENT: '100000000',
    ...store.env,
  });
  const auth = await startAuth(config, createLogger({ name: 'bench', level: 'silent' }), { memoryAdapter });
  server.on('request', (req, res) => {
    auth.app(req, res);
  });
  try {
    const chains: string[] = [];
    for (let i = 0; i < CONCURRENCY; i++) {
      const { code, verifier } = await authorize(new Browser(issuer), { prompt: 'consent' });
      chains.push((await exchange(issuer, code!, verifier)).body.refresh_token!);
    }
    let grants = 0;
    let failures = 0;
    const end = performance.now() + SECONDS * 1000;
    await Promise.all(
      chains.map(async (token) => {
        let current = token;
        while (performance.now() < end) {
          const res = await tokenRequest(issuer, { grant_type: 'refresh_token', refresh_token: current });
          if (res.status !== 200 || !res.body.refresh_token) {
            failures++;
            return;
          }
          current = res.body.refresh_token;
          grants++;
        }
      }),
    );
    if (failures > 0) throw new Error(`${failures} refresh grants failed`);
    return grants / SECONDS;
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await auth.close();
    await store.cleanup();
  }
}

const signs = signingRate();
const bound = signs / 2;
const memory = await refreshRate(true);
const persisted = await refreshRate(false);
const out = [
  `RS256 signatures/s:              ${signs.toFixed(0)}  (bound for refresh grants: ${bound.toFixed(0)}/s)`,
  `refresh grants/s, in-memory:     ${memory.toFixed(0)}`,
  `refresh grants/s, SQLite:        ${persisted.toFixed(0)}  (${((persisted / bound) * 100).toFixed(0)}% of bound, target >= 50%)`,
  `persistence cost vs in-memory:   ${(((memory - persisted) / memory) * 100).toFixed(0)}%  (target <= 20%)`,
  `(${CONCURRENCY} concurrent refresh chains, ${SECONDS}s each, over loopback HTTP)`,
];
process.stdout.write(`${out.join('\n')}\n`);
