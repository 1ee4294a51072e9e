import { seededDataDir } from '../lib/api-data.js';
import { loadApiOperation } from '../lib/api-operations.js';
import { startApiTarget, type ApiTarget } from '../lib/api-target.js';
import { verdict } from '../lib/capacity-model.js';
import type { BenchModule } from '../lib/context.js';
import type { Section } from '../lib/report.js';
import { metricsWorkMicros } from '../lib/timing.js';

/** Issue 19: metrics on (tracing off) cost at most this share more CPU per request than metrics off. */
export const METRICS_COST_AIM = 0.05;

/** Pairs of loads, each pair in the opposite order of the last (on-off, off-on, …): a steady drift of the machine's load cancels out. */
const PAIRS = 6;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const percent = (share: number) => `${share >= 0 ? '+' : ''}${Math.round(share * 1000) / 10} %`;

/** Issue 19, target 3: CPU per `GET /accounts` with metrics on vs METRICS_ENABLED=false, two API processes, alternating loads in one run. */
export const metricsCostModule: BenchModule = {
  name: 'metrics',
  description: 'what metrics cost: API CPU per GET /accounts with metrics on vs METRICS_ENABLED=false (tracing off), alternating loads',
  available: async () => true,
  async run(ctx) {
    const { durationSeconds, connections } = ctx.settings;
    const dataDir = await seededDataDir(ctx.settings.resultsDir, 0, ctx.log);
    const seconds = Math.max(2, Math.round(durationSeconds / 2));
    const on = await startApiTarget({ dataDir, paths: [], rateLimit: true, metrics: true });
    let off: ApiTarget | undefined;
    const pairs: Array<{ on: number; off: number }> = [];
    try {
      off = await startApiTarget({ dataDir, paths: [], rateLimit: true, metrics: false });
      for (let pair = 0; pair < PAIRS; pair++) {
        const cpu: Record<'on' | 'off', number> = { on: Number.NaN, off: Number.NaN };
        for (const which of pair % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
          ctx.log(`metrics: GET /accounts, metrics ${which} (pair ${pair + 1}/${PAIRS})`);
          const result = await loadApiOperation(which === 'on' ? on : off, 'accounts', { durationSeconds: seconds, connections });
          if (result.failures > 0) throw new Error(`metrics ${which}: ${result.failures} failed requests`);
          cpu[which] = result.cpuMicros ?? Number.NaN;
        }
        pairs.push(cpu);
      }
    } finally {
      await on.stop();
      await off?.stop();
    }
    ctx.log('metrics: the metrics work alone, in-process');
    const work = await metricsWorkMicros(4000);
    const mean = (which: 'on' | 'off') => pairs.reduce((sum, p) => sum + p[which], 0) / pairs.length;
    const workShare = (work.on - work.off) / mean('off');
    const share = mean('on') / mean('off') - 1;
    const shares = pairs.map((p) => p.on / p.off - 1);
    const section: Section = {
      title: 'What metrics cost: API CPU per GET /accounts, metrics on vs off',
      columns: ['case', 'CPU µs/request (mean of rounds)', 'per pair (on / off)', 'more CPU with metrics', 'aim', 'verdict'],
      rows: [
        { case: 'metrics on (as shipped), tracing off', 'CPU µs/request (mean of rounds)': Math.round(mean('on')), 'per pair (on / off)': pairs.map((p) => `${p.on}/${p.off}`).join(', '), 'more CPU with metrics': null, aim: null, verdict: null },
        { case: 'METRICS_ENABLED=false, tracing off', 'CPU µs/request (mean of rounds)': Math.round(mean('off')), 'per pair (on / off)': null, 'more CPU with metrics': null, aim: null, verdict: null },
        {
          case: 'on ÷ off − 1',
          'CPU µs/request (mean of rounds)': null,
          'per pair (on / off)': `median ${percent(median(shares))}, from ${percent(Math.min(...shares))} to ${percent(Math.max(...shares))}`,
          'more CPU with metrics': percent(share),
          aim: `≤ ${METRICS_COST_AIM * 100} %`,
          verdict: Number.isFinite(share) ? verdict(share, METRICS_COST_AIM, 'at most') : 'not measured',
        },
        {
          case: 'the metrics work alone, in-process ÷ CPU per request with metrics off',
          'CPU µs/request (mean of rounds)': Math.round((work.on - work.off) * 10) / 10,
          'per pair (on / off)': `${work.on} vs ${work.off} µs (20 alternating rounds)`,
          'more CPU with metrics': percent(workShare),
          aim: `≤ ${METRICS_COST_AIM * 100} %`,
          verdict: Number.isFinite(workShare) ? verdict(workShare, METRICS_COST_AIM, 'at most') : 'not measured',
        },
      ],
      notes: [
        `Two API processes on the same seeded SQLite store, one with metrics as shipped (HTTP duration histogram, FDX request counter, data-port timing) and one with METRICS_ENABLED=false; ${PAIRS} pairs of ${seconds} s closed-loop loads (${connections} connections), each pair in the opposite order of the last. CPU: the serving process's own user + system time per request (/proc).`,
        'Tracing is off in both (no OTEL_EXPORTER_OTLP_ENDPOINT); its cost is `pnpm bench tracing`.',
        'The pairs\' spread is the machine\'s noise: a difference smaller than it is not resolved by this run. The in-process row times the metrics steps themselves (HTTP histogram middleware with its route capture, FDX request counter, timed data port) on a stand-in request, with and without them (bench/lib/timing.ts metricsWorkMicros), and divides by the CPU per request measured over HTTP with metrics off: steady where the loads are not.',
      ],
    };
    return [section];
  },
};
