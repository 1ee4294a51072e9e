import { table, type Noun } from '@apps/shared';
import { PERCENTILES } from '../performance/buckets.js';
import { latencyText, percentText, performanceReport, type PerformanceReport } from '../performance/report.js';
import { PerformanceStore } from '../performance/store.js';
import type { OperatorDeps } from './deps.js';

function reportText(report: PerformanceReport): string {
  const rows = report.months.map((m) => ({
    month: m.partial ? `${m.month}*` : m.month,
    requests: m.requests,
    proper: m.properResponses,
    rate: percentText(m.properResponsePercent),
    ...Object.fromEntries(PERCENTILES.map((p) => [`p${p}`, latencyText(m.latencyMs[`p${p}`], m.requests)])),
  }));
  const d = report.definition;
  return [
    table(rows, ['month', 'requests', 'proper', 'rate', ...PERCENTILES.map((p) => `p${p}`)]),
    '* in progress (the current month)',
    `proper response: ${d.properResponse}`,
    `latency: ${d.latency}; bucket bounds ${report.latencyBucketBoundsMs.join(', ')} ms`,
    `months: ${d.months}; rates rounded down to 0.01 %`,
  ].join('\n');
}

/** `pnpm kit performance …`: the monthly performance disclosure, as the API's /performance page shows it. */
export const performanceNoun: Noun<OperatorDeps> = {
  summary: 'the monthly performance disclosure (proper-response rate, latency percentiles) of every API instance',
  verbs: {
    report: {
      summary: 'the last 13 full months and the current one, newest first (the figures of /performance)',
      async run(_input, { database, config }) {
        return performanceReport(new PerformanceStore(database.db), Date.now(), config.disclosure.thresholdMs);
      },
      text: reportText,
    },
  },
};
