import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoRecords, volumeTransactions, writeNdjson } from '@apps/api';
import { createTempDatabase, PG_ADMIN_URL, postgresReachable } from '@kit/harness/postgres';
import { REPO_ROOT, type BenchModule } from '../lib/context.js';
import { ratio, type Section } from '../lib/report.js';

/** The goals for 1,000,000 transactions on this machine. */
const GOALS = { sqliteSeconds: 60, postgresSeconds: 120, rssMb: 200 };

function volume(): number {
  const raw = process.env.BENCH_IMPORT_TRANSACTIONS;
  const n = raw ? Number(raw.replace(/_/g, '')) : 1_000_000;
  if (!Number.isInteger(n) || n <= 0) throw new Error('BENCH_IMPORT_TRANSACTIONS must be a positive integer');
  return n;
}

/** The demo customers and accounts followed by `count` volume transactions, as NDJSON; cached under the results directory. */
async function volumeFile(resultsDir: string, count: number, log: (m: string) => void): Promise<string> {
  const dir = join(resultsDir, 'import');
  const file = join(dir, `volume-${count}.ndjson`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const records = await writeNdjson(`${file}.building`, (function* () {
    yield* demoRecords();
    yield* volumeTransactions(count);
  })());
  renameSync(`${file}.building`, file);
  log(`import: wrote ${records.toLocaleString('en-US')} records (${Math.round(statSync(file).size / 1048576)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return file;
}

interface ImportRun {
  seconds: number;
  cpuSeconds: number;
  records: number;
  peakRssMb: number;
}

/** `pnpm kit data import FILE --json` as an operator runs it, in its own process; its report carries time and peak RSS. */
function kitImport(file: string, env: Record<string, string>): Promise<ImportRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts/kit.js'), 'data', 'import', file, '--json'], {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      try {
        const report = JSON.parse(out) as { seconds: number; cpuSeconds: number; imported: Record<string, number>; peakRssMb: number; rejectedTotal: number };
        if (code !== 0 || report.rejectedTotal > 0) throw new Error(`import exited ${code}: ${out.slice(0, 500)}`);
        resolve({ seconds: report.seconds, cpuSeconds: report.cpuSeconds, records: Object.values(report.imported).reduce((a, b) => a + b, 0), peakRssMb: report.peakRssMb });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

export const importModule: BenchModule = {
  name: 'import',
  description: 'pnpm kit data import of 1,000,000 transactions as NDJSON (BENCH_IMPORT_TRANSACTIONS) on SQLite and PostgreSQL: seconds, rows/s, peak RSS',
  available: async () => true,
  async run(ctx) {
    const count = volume();
    const file = await volumeFile(ctx.settings.resultsDir, count, ctx.log);
    const rows: Array<Record<string, string | number | null>> = [];
    const row = (engine: string, goal: number, run: ImportRun, again: ImportRun) => ({
      engine,
      records: run.records,
      seconds: run.seconds,
      'CPU s': run.cpuSeconds,
      'rows/s': Math.round(run.records / run.seconds),
      'peak RSS MB': run.peakRssMb,
      'goal s': goal,
      'time / goal': ratio(run.seconds, goal),
      'RSS / goal': ratio(run.peakRssMb, GOALS.rssMb),
      're-import s': again.seconds,
    });

    const dataDir = mkdtempSync(join(tmpdir(), 'bench-import-'));
    try {
      ctx.log('import: SQLite');
      const first = await kitImport(file, { DATA_DIR: dataDir });
      ctx.log('import: SQLite, the same file again (every row already there)');
      rows.push(row('SQLite', GOALS.sqliteSeconds, first, await kitImport(file, { DATA_DIR: dataDir })));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }

    if (await postgresReachable()) {
      const temp = await createTempDatabase('api_import_bench');
      const pgDir = mkdtempSync(join(tmpdir(), 'bench-import-pg-'));
      try {
        ctx.log('import: PostgreSQL');
        const first = await kitImport(file, { DATA_DIR: pgDir, DATABASE_URL: temp.url });
        ctx.log('import: PostgreSQL, the same file again');
        rows.push(row('PostgreSQL', GOALS.postgresSeconds, first, await kitImport(file, { DATA_DIR: pgDir, DATABASE_URL: temp.url })));
      } finally {
        await temp.drop();
        rmSync(pgDir, { recursive: true, force: true });
      }
    } else {
      ctx.log(`import: no PostgreSQL at ${new URL(PG_ADMIN_URL).host}, SQLite only`);
    }

    const section: Section = {
      title: `Import: ${count.toLocaleString('en-US')} transactions as NDJSON through pnpm kit data import`,
      columns: ['engine', 'records', 'seconds', 'CPU s', 'rows/s', 'peak RSS MB', 'goal s', 'time / goal', 'RSS / goal', 're-import s'],
      rows,
      notes: [
        `Goals: SQLite < ${GOALS.sqliteSeconds} s, PostgreSQL < ${GOALS.postgresSeconds} s, peak RSS < ${GOALS.rssMb} MB (a ratio below 1 meets the goal). The file also holds the demo customers and accounts (their ${'~5,300'} records), so records = transactions + those.`,
        'Each import is its own process (`node scripts/kit.js data import FILE --json`, TypeScript through tsx as an operator runs it); seconds, CPU seconds (user + system: steadier than seconds on a shared machine) and peak RSS (maxRSS) come from its report; not the PostgreSQL server CPU. Batches of 20,000 records (the default), one database transaction each, idempotent upserts; the re-import upserts every row again.',
      ],
    };
    return [section];
  },
};
