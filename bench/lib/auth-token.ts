// The OP's token endpoint (`pnpm bench:auth`, the `auth` module): refresh-token grants/s and
// authorization-code exchanges/s beside the machine's signing bound measured in the same run. Each
// grant signs an access token and an ID token, so the bound is half the RS256 signing rate (with
// ES256 access tokens: one ES256 and one RS256 signature per grant). Persistence cost: the same
// grants on SQLite and PostgreSQL vs oidc-provider's in-memory adapter.
//
// The OP runs in its own process (servers/auth-target.ts); this process only generates load, over
// loopback HTTP with keep-alive.
//
// Settings: BENCH_CONCURRENCY concurrent requests (8), BENCH_STORES (memory,sqlite,postgres;
// postgres skipped when unreachable), BENCH_ALGS access-token algorithms (RS256,ES256; RS256 on
// every store, ES256 on SQLite), BENCH_PROFILE_DIR to write a CPU profile of each OP process.
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { OAuthClient, exchange, tokenRequest } from '@kit/harness/oauth';
import { PG_ADMIN_URL, postgresReachable } from '@kit/harness/postgres';
import { forkScript, stopChild } from '@kit/harness/process';
import { REPO_ROOT } from './context.js';
import { cpuSeconds } from './process.js';

const CODE_BATCH = 200;

export type Store = 'memory' | 'sqlite' | 'postgres';
export type Alg = 'RS256' | 'ES256';

export interface TokenBenchOptions {
  /** Seconds per measurement. */
  seconds: number;
  /** Requests in flight at once. */
  concurrency: number;
  stores: Store[];
  /** Access-token algorithms; RS256 runs on every store, others on SQLite. */
  algs: Alg[];
  /** Where to write a CPU profile of each OP process (open in Chrome DevTools); none when unset. */
  profileDir?: string;
}

/** The options from the environment; `seconds` is the run's BENCH_DURATION. */
export function tokenBenchOptionsFromEnv(seconds: number, env = process.env): TokenBenchOptions {
  const list = <T extends string>(value: string | undefined, fallback: string, allowed: readonly T[]): T[] => {
    const items = (value ?? fallback).split(',').map((s) => s.trim());
    const bad = items.filter((s) => !allowed.includes(s as T));
    if (bad.length > 0) throw new Error(`unknown value(s) ${bad.join(', ')}: expected ${allowed.join(', ')}`);
    return items as T[];
  };
  return {
    seconds,
    concurrency: Number(env.BENCH_CONCURRENCY ?? 8),
    stores: list(env.BENCH_STORES, 'memory,sqlite,postgres', ['memory', 'sqlite', 'postgres']),
    algs: list(env.BENCH_ALGS, 'RS256,ES256', ['RS256', 'ES256']),
    profileDir: env.BENCH_PROFILE_DIR,
  };
}

export interface TokenCase {
  store: Store;
  alg: Alg;
  /** Grants per second the signatures alone would allow; 1000 / bound is their CPU ms per grant. */
  bound: number;
  refreshPerSecond: number;
  codeExchangesPerSecond: number;
  codes: number;
  /** The OP's own CPU time per grant (Linux), which load on the rest of the machine hardly changes. */
  refreshCpuMs: number | undefined;
  codeExchangeCpuMs: number | undefined;
}

export interface TokenBenchResult {
  seconds: number;
  concurrency: number;
  signaturesPerSecond: Partial<Record<Alg, number>>;
  cases: TokenCase[];
  skipped: string[];
}

function signingRate(privateKey: KeyObject, alg: Alg): number {
  const data = Buffer.alloc(600, 1);
  const options = alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const } : privateKey;
  const end = performance.now() + 2000;
  let n = 0;
  while (performance.now() < end) {
    sign('sha256', data, options);
    n++;
  }
  return n / 2;
}

function keyFor(alg: Alg): KeyObject {
  return alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}

/** The OP (servers/auth-target.ts) in its own process on `store`, signing access tokens with `alg`. */
export async function startAuthTarget(store: Store, alg: Alg, profileDir: string | undefined): Promise<{ child: ChildProcess; issuer: string }> {
  const { child, info } = await forkScript<{ issuer: string }>(join(REPO_ROOT, 'bench', 'servers', 'auth-target.ts'), {
    env: { BENCH_STORE: store, ...(alg === 'RS256' ? {} : { ACCESS_TOKEN_SIGNING_ALG: alg }) },
    execArgv: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=op-${store}-${alg}.cpuprofile`] : [],
  });
  return { child, issuer: info.issuer };
}

/** Runs `workers` loops of `step` until `seconds` pass; returns completed steps per second. */
async function rate(seconds: number, workers: number, step: (worker: number) => Promise<void>): Promise<number> {
  let done = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (performance.now() < end) {
        await step(w);
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

/** The OP's CPU milliseconds per operation while `work` runs (`work` returns the operations done). */
export async function cpuPer(child: ChildProcess, work: () => Promise<number>): Promise<{ operations: number; cpuMs: number | undefined }> {
  const before = cpuSeconds(child.pid);
  const operations = await work();
  const after = cpuSeconds(child.pid);
  return { operations, cpuMs: before === undefined || after === undefined ? undefined : ((after - before) * 1000) / operations };
}

function fail(what: string, status: number, body: unknown): never {
  throw new Error(`${what} failed: ${status} ${JSON.stringify(body).slice(0, 200)}`);
}

async function measure(options: TokenBenchOptions, store: Store, alg: Alg, bound: number): Promise<TokenCase> {
  const { seconds, concurrency } = options;
  const { child, issuer } = await startAuthTarget(store, alg, options.profileDir);
  try {
    // One sign-in; then each worker its own browser in that session (interaction cookies are
    // per browser). Every code comes from a consented request for offline access (as Plaid
    // asks), so every exchange also issues a refresh token.
    const first = new OAuthClient(issuer);
    await first.authorize({ prompt: 'consent' });
    const browsers = Array.from({ length: concurrency }, () => first.fork());
    const codeAndVerifier = async (w: number) => {
      const { code, verifier, error } = await browsers[w]!.authorize({ prompt: 'consent' });
      if (!code) throw new Error(`authorization failed: ${error}`);
      return { code, verifier };
    };
    const chains: string[] = [];
    for (let i = 0; i < concurrency; i++) {
      const { code, verifier } = await codeAndVerifier(i);
      const res = await exchange(issuer, code, verifier);
      if (res.status !== 200 || !res.body.refresh_token) fail('code exchange', res.status, res.body);
      chains.push(res.body.refresh_token);
    }
    const refresh = async (w: number) => {
      const res = await tokenRequest(issuer, { grant_type: 'refresh_token', refresh_token: chains[w]! });
      if (res.status !== 200 || !res.body.refresh_token) fail('refresh grant', res.status, res.body);
      chains[w] = res.body.refresh_token;
    };
    await rate(1, concurrency, refresh); // warm-up, not counted
    let refreshPerSecond = 0;
    const refreshCpu = await cpuPer(child, async () => {
      const started = performance.now();
      refreshPerSecond = await rate(seconds, concurrency, refresh);
      return refreshPerSecond * ((performance.now() - started) / 1000);
    });

    // Codes are made in batches (untimed), then exchanged (timed), until `seconds` of exchanges.
    // Batches stay small: oidc-provider's in-memory adapter is an LRU of 1,000 entries.
    let exchanged = 0;
    let exchangeSeconds = 0;
    let exchangeCpu = 0;
    while (exchangeSeconds < seconds) {
      const codes: Array<{ code: string; verifier: string }> = [];
      await Promise.all(
        Array.from({ length: concurrency }, async (_, w) => {
          while (codes.length < CODE_BATCH) codes.push(await codeAndVerifier(w));
        }),
      );
      let next = 0;
      const started = performance.now();
      const batch = await cpuPer(child, async () => {
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (next < codes.length) {
              const { code, verifier } = codes[next++]!;
              const res = await exchange(issuer, code, verifier);
              if (res.status !== 200 || !res.body.refresh_token) fail('code exchange', res.status, res.body);
            }
          }),
        );
        return codes.length;
      });
      exchangeSeconds += (performance.now() - started) / 1000;
      exchanged += codes.length;
      exchangeCpu += (batch.cpuMs ?? NaN) * codes.length;
    }
    const codeCpu = { cpuMs: Number.isNaN(exchangeCpu) ? undefined : exchangeCpu / exchanged };
    const codeExchangesPerSecond = exchanged / exchangeSeconds;
    return {
      store,
      alg,
      bound,
      refreshPerSecond,
      codeExchangesPerSecond,
      codes: exchanged,
      refreshCpuMs: refreshCpu.cpuMs,
      codeExchangeCpuMs: codeCpu.cpuMs,
    };
  } finally {
    await stopChild(child);
  }
}

export async function runTokenBench(options: TokenBenchOptions, log: (message: string) => void = () => {}): Promise<TokenBenchResult> {
  const signaturesPerSecond: TokenBenchResult['signaturesPerSecond'] = {};
  const algs = [...new Set<Alg>(['RS256', ...options.algs])];
  for (const alg of algs) signaturesPerSecond[alg] = signingRate(keyFor(alg), alg);
  const rs = signaturesPerSecond.RS256!;
  const boundOf = (alg: Alg) => (alg === 'RS256' ? rs / 2 : 1 / (1 / rs + 1 / signaturesPerSecond[alg]!));

  const skipped: string[] = [];
  const stores = [...new Set(options.stores)];
  if (stores.includes('postgres') && !(await postgresReachable())) {
    stores.splice(stores.indexOf('postgres'), 1);
    skipped.push(`PostgreSQL: no server at ${new URL(PG_ADMIN_URL).host} (set PG_TEST_URL)`);
  }
  const cases: TokenCase[] = [];
  const plan: Array<[Store, Alg]> = [
    ...stores.map((store) => [store, 'RS256'] as [Store, Alg]),
    ...algs.filter((a) => a !== 'RS256').map((alg) => ['sqlite', alg] as [Store, Alg]),
  ];
  for (const [store, alg] of plan) {
    log(`auth: token endpoint on ${store}, ${alg} access tokens`);
    cases.push(await measure(options, store, alg, boundOf(alg)));
  }
  return { seconds: options.seconds, concurrency: options.concurrency, signaturesPerSecond, cases, skipped };
}
