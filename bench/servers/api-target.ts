/**
 * A benchmark target in its own process (so the load generator does not share its CPU):
 * the API over a given SQLite data directory with a local JWKS and an OP consent-feed stand-in, and a bare Express app
 * that answers the same paths with the same bytes. Reports its URLs and a token over IPC.
 */
import type { AddressInfo } from 'node:net';
import { loadApiConfig, startServer } from '@apps/api';
import { createLogger, listen } from '@apps/shared';
import { AUDIENCE, ISSUER, newKey, signToken, startJwks } from '@kit/harness/jwks';
import { startOpConsents } from '@kit/harness/op-consents';
import express from 'express';

export interface ApiTargetInfo {
  api: string;
  bare: string;
  /** A token of an active consent naming every account of its customer (fdxConsentId, account_ids). */
  token: string;
  /** The same customer's token without consent claims (issued before consents: no revocation check, no account filter). */
  legacyToken: string;
  /** Path → bytes served, captured from the API. */
  sizes: Record<string, number>;
  /** FDX path of one statement (a PDF) of the demo checking account. */
  statementPath: string;
  /** The consent's token for the MCP server (audience `<API_URL>/mcp`). */
  mcpToken: string;
}

const dataDir = process.env.BENCH_DATA_DIR;
if (!dataDir) throw new Error('BENCH_DATA_DIR is required');
const paths = JSON.parse(process.env.BENCH_PATHS ?? '[]') as string[];
const limited = process.env.BENCH_RATE_LIMIT !== 'off';

const key = await newKey('bench-key');
const jwks = await startJwks([key.jwk]);
// The OP's consent feed, played by the stand-in, with a realistic backlog of ended consents in the set.
const INTERNAL_SECRET = 'bench-internal-secret-0123456789-abcdefghijklmnop';
const op = await startOpConsents({ secret: INTERNAL_SECRET });
for (let i = 0; i < 10_000; i++) op.end(`bench-ended-${i}`);
const config = loadApiConfig({
  // Development rules, so the local http key server is accepted; nothing else in the API depends on it.
  NODE_ENV: 'development',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  API_URL: 'https://api.bench.example',
  OP_ISSUER: ISSUER,
  API_AUDIENCE: AUDIENCE,
  JWKS_URI: jwks.url,
  CURSOR_SECRET: 'bench-cursor-secret-0123456789-abcdefghijklmnop',
  INTERNAL_SECRET,
  OP_INTERNAL_URL: op.url,
  DATA_DIR: dataDir,
  // The data directory (or database) is seeded before the target starts.
  SEED_ON_START: 'false',
  ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
  // Limits far above the load, so the counter is paid for on every request but never trips.
  RATE_LIMIT_PER_CLIENT: limited ? '1000000000' : '0',
  RATE_LIMIT_PER_CUSTOMER: limited ? '1000000000' : '0',
  RATE_LIMIT_PER_IP: limited ? '1000000000' : '0',
  ...(process.env.BENCH_RATE_LIMIT_SYNC_MS ? { RATE_LIMIT_SYNC_MS: process.env.BENCH_RATE_LIMIT_SYNC_MS } : {}),
  // Per-request metrics as shipped (on), or off to measure what they cost.
  METRICS_ENABLED: process.env.BENCH_METRICS ?? 'true',
  ...(JSON.parse(process.env.BENCH_API_ENV ?? '{}') as Record<string, string>),
});
const logger = createLogger({ name: 'api', level: config.logLevel });
// Started as main.ts does: a batched counter (RATE_LIMIT_SYNC_MS, default 250 ms), unless BENCH_RATE_LIMIT_SYNC_MS says otherwise.
const service = await startServer(config, logger);
const api = await listen(service.app, '127.0.0.1', 0);
const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
await service.revocations.whenLoaded();
const expiresIn = Math.floor(Date.now() / 1000) + 3600;
const legacyToken = await signToken(key, { expiresIn });
const listed = await fetch(`${apiUrl}/api/fdx/v6/accounts?limit=500`, { headers: { authorization: `Bearer ${legacyToken}` } });
const accountIds = ((await listed.json()) as { accounts: Array<{ accountId: string }> }).accounts.map((a) => a.accountId);
const consentId = '0b7c6f7e-3c1d-4d8e-9a51-6f0e2b9d4c11';
const token = await signToken(key, { expiresIn, consentId, accountIds });
const mcpToken = await signToken(key, { expiresIn, consentId, accountIds, aud: config.mcpResource });
const statements = await fetch(`${apiUrl}/api/fdx/v6/accounts/acc-10001-checking/statements`, { headers: { authorization: `Bearer ${token}` } });
const statementId = ((await statements.json()) as { statements?: Array<{ statementId: string }> }).statements?.[0]?.statementId;
if (!statementId) throw new Error(`no statement of acc-10001-checking to serve (HTTP ${statements.status})`);

const bare = express();
bare.disable('x-powered-by');
bare.set('etag', false);
const sizes: Record<string, number> = {};
for (const path of paths) {
  const res = await fetch(`${apiUrl}/api/fdx/v6${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`capturing ${path}: HTTP ${res.status}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  sizes[path] = bytes.length;
  bare.get(`/api/fdx/v6${path.split('?')[0]}`, (_req, res) => {
    res.type('application/json').send(bytes);
  });
}
const bareServer = await listen(bare, '127.0.0.1', 0);
const info: ApiTargetInfo = { api: apiUrl, bare: `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}`, token, legacyToken, sizes, statementPath: `/accounts/acc-10001-checking/statements/${statementId}`, mcpToken };
process.send?.(info);
// A clean exit, so --cpu-prof writes its profile.
process.on('disconnect', () => process.exit(0));
process.once('SIGTERM', () => process.exit(0));
