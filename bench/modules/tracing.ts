import { startOtlpCollector } from '@kit/harness/otlp-collector';
import { seededDataDir } from '../lib/api-data.js';
import { FDX, startApiTarget } from '../lib/api-target.js';
import type { BenchModule } from '../lib/context.js';
import { load, type LoadResult } from '../lib/load.js';
import { ratio, type Section } from '../lib/report.js';

/** The three settings compared, by the OTEL_* environment the API gets (the collector's URL added). */
const CASES = [
  { name: 'tracing off', env: undefined },
  { name: 'tracing on, 10 % sampled', env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' } },
  { name: 'tracing on, 100 % sampled', env: { OTEL_TRACES_SAMPLER: 'parentbased_always_on' } },
] as const;

interface Measured {
  runs: LoadResult[];
  spans: number;
  exports: number;
}

const mean = (values: number[]) => Math.round(values.reduce((a, b) => a + b, 0) / values.length);

/**
 * What tracing costs the API per request: GET /accounts (token check, rate-limit counting, one
 * SQLite query, a log line) with tracing off, on at 10 % and on at 100 %, exporting over
 * OTLP/HTTP (protobuf) to an in-process collector. Two rounds in mirrored order (off, 10, 100,
 * 100, 10, off), so a steady drift in the machine's load cancels out of the comparison.
 */
export const tracingModule: BenchModule = {
  name: 'tracing',
  description: 'CPU per request on GET /accounts with tracing off, sampled at 10 % and at 100 %',
  available: async () => true,
  async run(ctx) {
    const { durationSeconds, connections } = ctx.settings;
    const dataDir = await seededDataDir(ctx.settings.resultsDir, 0, ctx.log);
    const collector = await startOtlpCollector({ keep: false });
    const measured = new Map<string, Measured>(CASES.map((c) => [c.name, { runs: [], spans: 0, exports: 0 }]));
    try {
      for (const round of [CASES, [...CASES].reverse()]) {
        for (const c of round) {
          const env = c.env ? { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '1000', ...c.env } : undefined;
          const target = await startApiTarget({ dataDir, paths: ['/accounts'], rateLimit: true, env });
          const before = collector.requests.length;
          try {
            ctx.log(`tracing: ${c.name}`);
            const result = await load(`${target.api}${FDX}/accounts`, { durationSeconds, connections, headers: target.headers, pid: target.child.pid });
            const m = measured.get(c.name)!;
            m.runs.push(result);
            // Spans of the warm-up and the measured run alike; per request of both.
            const received = collector.requests.slice(before);
            m.spans += received.reduce((sum, r) => sum + r.spans, 0);
            m.exports += received.length;
          } finally {
            await target.stop();
          }
        }
      }
    } finally {
      await collector.close();
    }
    const cpu = (name: string) => {
      const values = measured.get(name)!.runs.map((r) => r.cpuMicros);
      return values.every((v) => v !== null) ? mean(values) : null;
    };
    const off = cpu(CASES[0].name);
    const rows = CASES.map((c) => {
      const m = measured.get(c.name)!;
      const rps = mean(m.runs.map((r) => r.rps));
      return {
        case: c.name,
        'req/s': rps,
        'p50 ms': mean(m.runs.map((r) => r.p50)),
        'p99 ms': mean(m.runs.map((r) => r.p99)),
        failures: m.runs.reduce((sum, r) => sum + r.failures, 0),
        'CPU µs/req': cpu(c.name),
        'CPU vs off': off === null || cpu(c.name) === null ? null : ratio(cpu(c.name)!, off),
        'spans exported': m.spans,
        exports: m.exports,
      };
    });
    const section: Section = {
      title: 'Tracing cost (API GET /accounts)',
      columns: ['case', 'req/s', 'p50 ms', 'p99 ms', 'failures', 'CPU µs/req', 'CPU vs off', 'spans exported', 'exports'],
      rows,
      notes: [
        `Each case twice, in mirrored order (off, 10 %, 100 %, 100 %, 10 %, off), ${durationSeconds} s at ${connections} connections after a warm-up; figures are the mean of the two runs. CPU is the API process's own (all threads), per request.`,
        'Tracing off: no tracing middleware, no context per request; each query and log line pays one empty context lookup. On: every request gets a trace context (its trace id goes on the log lines and to the services called), sampled ones a server span, a span per query and per outgoing call, exported in batches of up to 512 over OTLP/HTTP protobuf to a collector in the benchmark process.',
      ],
    };
    return [section];
  },
};
