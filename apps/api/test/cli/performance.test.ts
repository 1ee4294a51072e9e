import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, runCli, type CliIo, type CliProgram } from '@apps/shared';
import { program } from '../../src/cli/program.js';
import type { OperatorDeps } from '../../src/cli/deps.js';
import { PROPER, REQUESTS, bucketIndex, emptyCounts, type Counts } from '../../src/performance/buckets.js';
import { monthOf, monthStartOffset } from '../../src/performance/months.js';
import type { PerformanceReport } from '../../src/performance/report.js';
import { PerformanceStore } from '../../src/performance/store.js';
import { testConfig } from '../support.js';
import { ENGINES, openTestStore, type TestStore } from '../import/store.js';

function counts(requests: number, proper: number, latencyMs: number): Counts {
  const c = emptyCounts();
  c[REQUESTS] = requests;
  c[PROPER] = proper;
  c[bucketIndex(latencyMs)] = requests;
  return c;
}

async function cli(target: CliProgram<OperatorDeps>, argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTty: false };
  const code = await runCli(target, argv, io);
  return { code, stdout, stderr };
}

describe.each(ENGINES)('pnpm kit performance report on %s', (engine) => {
  let store: TestStore;
  let kit: CliProgram<OperatorDeps>;
  const now = Date.now();
  const lastMonth = monthStartOffset(now, -1);
  beforeAll(async () => {
    store = await openTestStore(engine);
    kit = {
      ...program,
      open: async () => ({ config: testConfig(store.env), logger: createLogger({ name: 'kit', level: 'silent' }), database: store.database, close: async () => {} }),
    };
    const performance = new PerformanceStore(store.database.db);
    // Last month from two instances, folded; this month still in minutes.
    await performance.add('api-1', new Map([[lastMonth, counts(3000, 2990, 15)]]));
    await performance.add('api-2', new Map([[lastMonth + 60_000, counts(1000, 1000, 150)]]));
    await performance.fold(now);
    await performance.add('api-1', new Map([[now - (now % 60_000), counts(10, 9, 4)]]));
  });
  afterAll(() => store.close());

  it('prints the months newest first, the current one marked, with the definitions under the table', async () => {
    const { code, stdout, stderr } = await cli(kit, ['performance', 'report']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^month\s+requests\s+proper\s+rate\s+p50\s+p90\s+p99$/);
    expect(lines[1]).toMatch(new RegExp(`^${monthOf(now)}\\*\\s+10\\s+9\\s+90\\.00 %\\s+≤ 5 ms\\s+≤ 5 ms\\s+≤ 5 ms$`));
    // 3,990 of 4,000 proper: 99.75 %; p50 in the 15 ms bucket (≤ 20), p90 and p99 in the 150 ms one (≤ 200).
    expect(lines[2]).toMatch(new RegExp(`^${monthOf(lastMonth)}\\s+4000\\s+3990\\s+99\\.75 %\\s+≤ 20 ms\\s+≤ 200 ms\\s+≤ 200 ms$`));
    expect(lines[3]).toMatch(/^\d{4}-\d{2}\s+0\s+0\s+–\s+–\s+–\s+–$/);
    expect(lines.filter((l) => /^\d{4}-\d{2}/.test(l))).toHaveLength(14);
    expect(stdout).toContain('proper response: a response that is not a 5xx (server error), was sent before the connection closed, and took no longer than 3500 ms');
  });

  it('prints the same report as the API’s JSON with --json', async () => {
    const { code, stdout } = await cli(kit, ['performance', 'report', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as PerformanceReport;
    expect(report.months).toHaveLength(14);
    expect(report.months[1]).toMatchObject({ month: monthOf(lastMonth), partial: false, requests: 4000, properResponses: 3990, properResponsePercent: 99.75, latencyMs: { p50: 20, p90: 200, p99: 200 } });
  });
});
