import { runTokenBench, tokenBenchOptionsFromEnv, type TokenBenchResult } from '../lib/auth-token.js';
import type { BenchModule } from '../lib/context.js';
import type { Section } from '../lib/report.js';

const round = (x: number) => Math.round(x);
const ratio = (x: number) => Math.round(x * 100) / 100;
const ms = (x: number | undefined) => (x === undefined ? null : Math.round(x * 100) / 100);

/** The token-endpoint benchmark's results as a report section. */
export function tokenSection(result: TokenBenchResult): Section {
  const memory = result.cases.find((c) => c.store === 'memory' && c.alg === 'RS256');
  const slower = (value: number, base: number | undefined) => (base === undefined ? null : `${Math.round((1 - value / base) * 100)}%`);
  const rows = result.cases.map((c) => ({
    store: c.store === 'memory' ? 'in-memory adapter' : c.store === 'sqlite' ? 'SQLite (default)' : 'PostgreSQL',
    'access token': c.alg,
    'bound (grants/s)': round(c.bound),
    'refresh/s': round(c.refreshPerSecond),
    'refresh ratio': ratio(c.refreshPerSecond / c.bound),
    'code exchange/s': round(c.codeExchangesPerSecond),
    'code ratio': ratio(c.codeExchangesPerSecond / c.bound),
    'OP CPU ms/refresh': ms(c.refreshCpuMs),
    'OP CPU ms/exchange': ms(c.codeExchangeCpuMs),
    'slower than in-memory (refresh / code)':
      c === memory || c.alg !== 'RS256' ? null : `${slower(c.refreshPerSecond, memory?.refreshPerSecond)} / ${slower(c.codeExchangesPerSecond, memory?.codeExchangesPerSecond)}`,
  }));
  const signatures = Object.entries(result.signaturesPerSecond)
    .map(([alg, n]) => `${alg} ${round(n)}/s`)
    .join(', ');
  return {
    title: 'OP token endpoint vs the signing bound (bench/lib/auth-token.ts)',
    columns: Object.keys(rows[0] ?? { store: '' }),
    rows,
    notes: [
      `Signatures measured in this run (one core): ${signatures}. A grant signs an access token and an ID token (RS256), so the bound is half the RS256 rate; with ES256 access tokens, one of each.`,
      'Ratio = grants/s ÷ bound. Persistence: SQLite and PostgreSQL vs oidc-provider\'s in-memory adapter. For information: the retired targets (issue 19) were a ratio ≥ 0.5 and ≤ 20% slower than in-memory; what counts now is `pnpm bench capacity latency`.',
      `The OP runs in its own process; ${result.concurrency} requests in flight over loopback HTTP, ${result.seconds} s per measurement. Every code comes from a consented request with offline_access, so every exchange also issues a refresh token.`,
      'OP CPU ms = the OP process\'s user + system CPU time per grant (all threads), which other load on the machine changes much less than throughput.',
      ...result.skipped.map((s) => `Skipped: ${s}.`),
    ],
  };
}

/** The OP's token endpoint: refresh grants and code exchanges vs the signing bound, per store. */
export const authModule: BenchModule = {
  name: 'auth',
  description: 'OP refresh grants and code exchanges vs the signing bound; persistence cost (in-memory, SQLite, PostgreSQL)',
  available: async () => true,
  async run(ctx) {
    return [tokenSection(await runTokenBench(tokenBenchOptionsFromEnv(ctx.settings.durationSeconds), ctx.log))];
  },
};
