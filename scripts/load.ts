// `pnpm load [--users N] [--api-calls N]`: a bounded load run on loopback against the scale-out
// topology it starts itself (2 OP + 2 API instances behind Caddy, one app, temporary PostgreSQL
// databases dropped at the end). Each virtual user: authorize → login → consent → token →
// N API calls → refresh. Reports completed flows, errors by kind, p50/p99 per step and the
// PostgreSQL connections the services held (pg_stat_activity). Not a test: it asserts nothing.
import { parseArgs } from 'node:util';
import { Https } from '@kit/harness/http';
import type { OAuthClient, Tokens } from '@kit/harness/oauth';
import { createTempDatabase, PG_ADMIN_URL } from '@kit/harness/postgres';
import { LOAD_FRIENDLY_LIMITS, newSecrets, scaleClient, startTopology } from '@kit/harness/topology';
import pg from 'pg';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: process.env.LOAD_USERS ?? '200' },
    'api-calls': { type: 'string', default: '20' },
    'ramp-ms': { type: 'string', default: '2000' },
  },
});
const USERS = Math.min(Math.max(Number.parseInt(values.users, 10) || 200, 1), 1000);
const API_CALLS = Math.min(Math.max(Number.parseInt(values['api-calls'], 10) || 20, 0), 100);
const RAMP_MS = Math.max(Number.parseInt(values['ramp-ms'], 10) || 0, 0);

const STEPS = ['authorize', 'login', 'consent', 'token', 'api', 'refresh'] as const;
type Step = (typeof STEPS)[number];
const timings = new Map<Step, number[]>(STEPS.map((s) => [s, []]));
const errors = new Map<string, number>();
const servedBy = new Map<string, number>();
let completed = 0;

function count(map: Map<string, number>, key: string) {
  map.set(key, (map.get(key) ?? 0) + 1);
}

async function timed<T>(step: Step, run: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await run();
  } finally {
    timings.get(step)!.push(performance.now() - start);
  }
}

function expectStatus<R extends { status: number; servedBy: string }>(step: Step, res: R, status: number): R {
  count(servedBy, res.servedBy || '(none)');
  if (res.status !== status) throw new Error(`${step}: HTTP ${res.status}`);
  return res;
}

async function virtualUser(session: OAuthClient): Promise<void> {
  const { page, verifier } = await timed('authorize', () => session.startAuthorization());
  expectStatus('authorize', page, 200);
  const consentPage = await timed('login', () => session.login(page, 'user@example.test', 'passw0rd!'));
  const code = await timed('consent', () => session.consent(consentPage));
  const tokens = expectStatus('token', await timed('token', () => session.exchange(code, verifier)), 200).body as Tokens;
  const paths = ['/accounts', '/customers/current'];
  for (let i = 0; i < API_CALLS; i += 1) {
    expectStatus('api', await timed('api', () => session.api(paths[i % paths.length]!, tokens.access_token)), 200);
  }
  expectStatus('refresh', await timed('refresh', () => session.refresh(tokens.refresh_token)), 200);
  completed += 1;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

const temps = await Promise.all(['auth', 'api', 'app'].map(() => createTempDatabase('kit_load')));
const names = temps.map((t) => t.name);
const admin = new pg.Pool({ connectionString: PG_ADMIN_URL, max: 1 });
const maxConnections = new Map<string, number>();
const sampleConnections = async () => {
  const { rows } = await admin.query<{ datname: string; n: number }>(
    'select datname, count(*)::int as n from pg_stat_activity where datname = any($1) group by datname',
    [names],
  );
  for (const { datname, n } of rows) maxConnections.set(datname, Math.max(maxConnections.get(datname) ?? 0, n));
};

process.stdout.write(`starting the topology (2 OP, 2 API, 1 app on PostgreSQL)…\n`);
const stack = await startTopology({
  databaseUrls: { auth: temps[0]!.url, api: temps[1]!.url, app: temps[2]!.url },
  secrets: newSecrets(),
  env: { auth: { ...LOAD_FRIENDLY_LIMITS, LOG_LEVEL: 'warn' }, api: { LOG_LEVEL: 'warn' }, app: { LOG_LEVEL: 'warn' } },
});
const http = new Https(stack.ca, 512);
try {
  process.stdout.write(`${USERS} virtual users, ${API_CALLS} API calls each, ramp ${RAMP_MS} ms\n`);
  const sampler = setInterval(() => void sampleConnections().catch(() => undefined), 250);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: USERS }, async (_, n) => {
      await new Promise((r) => setTimeout(r, (RAMP_MS * n) / USERS));
      try {
        await virtualUser(scaleClient(stack, http));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        count(errors, message.replace(/\(.*$/, '').slice(0, 80));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  await sampleConnections();

  const lines = [
    `completed flows: ${completed}/${USERS} in ${seconds.toFixed(1)} s (${(completed / seconds).toFixed(1)} flows/s)`,
    `errors by kind: ${errors.size === 0 ? 'none' : [...errors].map(([k, n]) => `${k} ×${n}`).join('; ')}`,
    'step        count     p50 ms    p99 ms',
    ...STEPS.map((step) => {
      const sorted = [...timings.get(step)!].sort((a, b) => a - b);
      return `${step.padEnd(10)} ${String(sorted.length).padStart(6)} ${percentile(sorted, 50).toFixed(1).padStart(10)} ${percentile(sorted, 99).toFixed(1).padStart(9)}`;
    }),
    `answered by: ${[...servedBy].sort().map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `max PostgreSQL connections (pg_stat_activity): ${['auth', 'api', 'app'].map((s, i) => `${s} ${maxConnections.get(names[i]!) ?? 0}`).join(', ')} (pool max 10 per instance)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  http.close();
  await stack.stop();
  await admin.end();
  for (const t of temps) await t.drop();
}
