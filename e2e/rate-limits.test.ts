// Rate limits at an aggregator's shape on the multi-instance topology (two OP and two API
// instances behind Caddy, PostgreSQL): one configured client with the default limits for its
// kind drives several hundred customers' refreshes and FDX calls at a steady rate and never
// sees a 429, while a second client calling one customer at ten times its allowance is slowed
// for that customer only.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Https, type HttpReply } from '@kit/harness/http';
import { OAuthClient, type Tokens } from '@kit/harness/oauth';
import { createTempDatabase, type TempDatabase } from '@kit/harness/postgres';
import { serviceCommand, type Stack } from '@kit/harness/stack';
import { newSecrets, SCALE_CLIENT, startTopology } from '@kit/harness/topology';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CUSTOMERS = 300;
const PASSWORD = 'load-customer-passw0rd';
/** A second configured client, with a small allowance per customer of its own (requests per minute). */
const NOISY = {
  ...SCALE_CLIENT,
  client_id: 'noisy-rp',
  client_secret: 'noisy-rp-client-secret-0123456789abcdef-0123456789',
  client_name: 'Noisy client',
  rate_limits: { api_per_customer_per_minute: 10 },
};
const SCOPE = 'openid offline_access accounts:read customers:read transactions:read';

let stack: Stack;
let http: Https;
let work: string;
const databases: TempDatabase[] = [];

/** `pnpm kit <args>` against the stack's OP database, as an operator would run it. */
async function kit(args: string[], stdin?: string): Promise<string> {
  const { args: nodeArgs, env } = serviceCommand('auth', 'src/cli.ts');
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd: work,
    env: { PATH: process.env.PATH, ...env, NODE_ENV: 'development', DATABASE_URL: databases[0]!.url, LOG_LEVEL: 'warn' },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin.end(stdin ?? '');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`kit ${args.join(' ')}: exit ${code}: ${err}`);
  return out;
}

const customerId = (n: number) => `cust-load-${String(n).padStart(4, '0')}`;
const emailOf = (n: number) => `load-${n}@example.test`;

/** Runs `task` for 0..count-1 with at most `width` in flight. */
async function pool<T>(count: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

const session = (client: typeof SCALE_CLIENT) =>
  new OAuthClient(stack.urls.auth, { client, http, apiUrl: stack.urls.api, authorization: { scope: SCOPE, prompt: 'consent' } });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kit-rate-limits-'));
  for (const _ of ['auth', 'api', 'app']) databases.push(await createTempDatabase('kit_rl'));
  stack = await startTopology({
    databaseUrls: { auth: databases[0]!.url, api: databases[1]!.url, app: databases[2]!.url },
    secrets: newSecrets(),
    env: {
      auth: {
        OIDC_CLIENTS: JSON.stringify([SCALE_CLIENT, NOISY]),
        // Only sign-in limits are raised: each customer would sign in from their own address.
        // Every token, refresh and API limit keeps its default.
        RATE_LIMIT_LOGIN_PER_IP: '100000',
        LOG_LEVEL: 'warn',
      },
      api: { LOG_LEVEL: 'warn' },
      app: { LOG_LEVEL: 'warn' },
    },
  });
  http = new Https(stack.ca, 64);
  // Customers as an operator loads them: one with a password, the rest from CSV sharing its hash
  // (an argon2id hash per row would cost the import minutes of CPU).
  await kit(['customers', 'add', customerId(0), '--email', emailOf(0), '--name', 'Load 0', '--password-stdin'], `${PASSWORD}\n`);
  const admin = new pg.Client({ connectionString: databases[0]!.url });
  await admin.connect();
  const { rows } = await admin.query<{ password_hash: string }>('select password_hash from users where id = $1', [customerId(0)]);
  await admin.end();
  const csv = ['id,email,name,password_hash', ...Array.from({ length: CUSTOMERS + 1 }, (_, n) => `${customerId(n + 1)},${emailOf(n + 1)},Load ${n + 1},${rows[0]!.password_hash}`)];
  writeFileSync(join(work, 'customers.csv'), `${csv.join('\n')}\n`);
  await kit(['customers', 'import', join(work, 'customers.csv')]);
});

afterAll(async () => {
  http?.close();
  await stack?.stop();
  for (const db of databases) await db.drop();
  rmSync(work, { recursive: true, force: true });
});

describe('rate limits sized for an aggregator (two OP and two API instances on PostgreSQL)', () => {
  it('never answers 429 to a configured client with default limits over several hundred customers, while a client hammering one customer is slowed for that customer only', async () => {
    // Several hundred connections, as Plaid holds for a bank's customers.
    const grants = await pool(CUSTOMERS, 8, async (n) => {
      const tokens = await session(SCALE_CLIENT).signIn(emailOf(n), PASSWORD);
      return { customer: customerId(n), tokens };
    });
    const [hammered, spared] = await Promise.all([
      session(NOISY).signIn(emailOf(CUSTOMERS), PASSWORD),
      session(NOISY).signIn(emailOf(CUSTOMERS + 1), PASSWORD),
    ]);

    const statuses = new Map<number, number>();
    const note = (res: { status: number }) => statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    const aggregatorCalls = async (grant: { tokens: Tokens }) => {
      // A refresh, then a handful of FDX calls with the new access token: what an aggregator does per connection.
      const refreshed = await session(SCALE_CLIENT).refresh(grant.tokens.refresh_token);
      note(refreshed);
      if (refreshed.status !== 200) return;
      grant.tokens = refreshed.body as Tokens;
      for (const path of ['/accounts', '/customers/current', '/accounts']) note(await session(SCALE_CLIENT).api(path, grant.tokens.access_token));
    };

    // The noisy client: ten times its allowance of 10 a minute for one customer, at the same time.
    const noisy: HttpReply[] = [];
    const hammering = pool(100, 4, async () => noisy.push(await session(NOISY).api('/accounts', hammered.access_token)));
    const started = Date.now();
    // The aggregator at a steady pace: every connection refreshed and read once, in ~10 s.
    await pool(CUSTOMERS, 6, async (i) => {
      const due = started + (i * 10_000) / CUSTOMERS;
      if (Date.now() < due) await new Promise((r) => setTimeout(r, due - Date.now()));
      await aggregatorCalls(grants[i]!);
    });
    await hammering;
    const sparedCalls = await pool(5, 1, () => session(NOISY).api('/accounts', spared.access_token));

    // 300 refreshes and 900 FDX calls in ~10 s (1,800 and 5,400 a minute: above the former
    // defaults of 300 token requests and 3,000 API calls a minute per client and per address):
    // every one answered, none with a 429.
    expect(Object.fromEntries(statuses)).toEqual({ 200: CUSTOMERS * 4 });

    const refused = noisy.filter((r) => r.status === 429);
    const served = noisy.filter((r) => r.status === 200);
    expect(served.length + refused.length).toBe(100);
    // Its allowance, plus what the two API instances admit before their batched counts meet
    // (RATE_LIMIT_SYNC_MS, README): far below the hundred it sent.
    expect(served.length).toBeGreaterThanOrEqual(10);
    expect(served.length).toBeLessThanOrEqual(30);
    for (const r of refused.slice(0, 5)) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(r.json()).toMatchObject({ code: 429, message: 'Too many requests' });
    }
    expect(new Set(noisy.map((r) => r.servedBy))).toEqual(new Set(['api-1', 'api-2']));
    // The same client's other customer is untouched.
    expect(sparedCalls.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    // ~35 s on a quiet 2-core machine (302 sign-ins, then 10 s of traffic); slower when it is shared.
  }, 300_000);
});
