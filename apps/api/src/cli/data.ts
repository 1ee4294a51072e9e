import { CliError, ExitCode, notFoundError, operatorPath, table, usageError, type Noun } from '@apps/shared';
import { ImportInputError } from '../errors.js';
import { DEFAULT_BATCH, importSources } from '../import/importer.js';
import { progressPrinter } from '../import/progress.js';
import { openSources } from '../import/read.js';
import { reportText, type ImportReport } from '../import/report.js';
import { IMPORT_TABLES } from '../import/rows.js';
import type { OperatorDeps } from './deps.js';

/** A batch is held in memory until its transaction commits (and written early past ~32 MB); `pnpm kit` gives the import a 128 MB heap. */
const MAX_BATCH = 50_000;

function batchOption(value: unknown): number {
  if (value === undefined) return DEFAULT_BATCH;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_BATCH) throw usageError(`--batch must be an integer from 1 to ${MAX_BATCH}`);
  return n;
}

function translate(err: unknown): never {
  if (err instanceof ImportInputError) throw err.reason === 'missing' ? notFoundError(err.message) : new CliError(err.message);
  throw err;
}

/** `pnpm kit data …`: the FDX data the API serves — import it, count it. */
export const dataNoun: Noun<OperatorDeps> = {
  summary: 'FDX data: import customers, accounts, transactions, statements… (JSON / NDJSON); row counts',
  verbs: {
    import: {
      summary: 'import FDX-shaped JSON / NDJSON files or folders (format: examples/bank-data/README.md); safe to re-run',
      args: ['path...'],
      options: { strict: { type: 'boolean', default: false }, batch: { type: 'string' } },
      optionHelp: {
        strict: 'refuse a whole file when any of its records is bad (default: import the good ones, report the bad)',
        batch: `records per database transaction (default ${DEFAULT_BATCH})`,
      },
      async run({ rest, options }, { database }, io) {
        const batchSize = batchOption(options.batch);
        const sources = await openSources(rest.map((p) => ({ path: operatorPath(p), name: p }))).catch(translate);
        const progress = progressPrinter(io.stderr, io.isTty);
        const report = await importSources(database.db, sources, { strict: options.strict === true, batchSize, onProgress: progress.update })
          .catch(translate)
          .finally(progress.done);
        // The process's peak resident memory (the input is streamed, so it stays flat however large the
        // files) and CPU time (a steadier figure than seconds on a shared machine).
        const usage = process.resourceUsage();
        const cpuSeconds = Math.round((usage.userCPUTime + usage.systemCPUTime) / 100_000) / 10;
        const result = { ...report, peakRssMb: Math.round(usage.maxRSS / 1024), cpuSeconds };
        if (report.rejectedTotal > 0) {
          const files = report.rejectedFiles.length;
          const detail = files > 0 ? `${files} file${files === 1 ? '' : 's'} refused whole (--strict)` : 'the others were imported';
          throw new CliError(`${report.rejectedTotal} record${report.rejectedTotal === 1 ? '' : 's'} rejected (${detail})`, ExitCode.conflict, result);
        }
        return result;
      },
      text: (result: ImportReport & { peakRssMb: number; cpuSeconds: number }) => `${reportText(result)}\npeak memory ${result.peakRssMb} MB, CPU ${result.cpuSeconds} s`,
    },
    stats: {
      summary: 'row counts of the FDX tables',
      async run(_input, { database }) {
        const counts: Record<string, number> = {};
        for (const name of IMPORT_TABLES) {
          const row = await database.db.selectFrom(name).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
          counts[name] = Number(row.n);
        }
        return { engine: database.engine, tables: counts };
      },
      text: (result: { engine: string; tables: Record<string, number> }) =>
        `${table(Object.entries(result.tables).map(([name, rows]) => ({ table: name, rows })), ['table', 'rows'])}\n(${result.engine})`,
    },
  },
};
