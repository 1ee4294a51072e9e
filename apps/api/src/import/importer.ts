import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { ApiSchema } from '../db/schema.js';
import type { RecordSource } from './read.js';
import { parseRecord, type ParsedRecord } from './records.js';
import { References } from './references.js';
import { emptyReport, reject, type ImportReport } from './report.js';
import { rowOf, type ImportRow } from './rows.js';
import { batchSize, emptyBatch, writeBatch } from './write.js';

export interface ImportProgress {
  records: number;
  rejected: number;
  bytes: number;
  /** Bytes of every input, when all sizes are known. */
  totalBytes: number | undefined;
  elapsedMs: number;
}

export interface ImportOptions {
  /** A file with any bad record is refused whole (nothing from it written). */
  strict?: boolean;
  /** Records per database transaction. */
  batchSize?: number;
  onProgress?: (progress: ImportProgress) => void;
}

/**
 * Records per database transaction. On SQLite a batch rewrites every index page it touches (a
 * transaction index keyed by posted time is touched all over), so larger batches write far less:
 * 1M transactions took 82 s in batches of 5,000, 45 s in batches of 20,000.
 */
export const DEFAULT_BATCH = 20_000;
/** Statement PDFs are read into memory with their batch; one larger than this is refused. */
export const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;
/** A batch holding about this many bytes (documents, JSON columns) is written early, whatever its record count. */
const BATCH_BYTES = 32 * 1024 * 1024;

/** Roughly what a row holds in memory: its JSON text columns dominate. */
function rowBytes(row: Record<string, unknown>): number {
  let n = 200;
  for (const key of ['details', 'contact', 'name', 'description'] as const) {
    const value = row[key];
    if (typeof value === 'string') n += value.length;
  }
  return n;
}

type Verdict = { ok: true; record: ParsedRecord; value: Record<string, unknown> } | { ok: false; kind?: string; reason: string };

/** Validation and reference checks of one raw value; adds what it defines to `refs`. */
async function check(value: unknown, error: string | undefined, refs: References): Promise<Verdict> {
  if (error !== undefined) return { ok: false, reason: error };
  const parsed = parseRecord(value);
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (!parsed.ok) return { ok: false, ...(typeof kind === 'string' ? { kind } : {}), reason: parsed.reason };
  const record = parsed.record;
  const missing = async (parent: 'customer' | 'account', id: string) =>
    (await refs.exists(parent, id)) ? undefined : `${parent} ${JSON.stringify(id)} is neither in the store nor earlier in the input`;
  const problem = record.kind === 'customer' ? undefined : record.kind === 'account' ? await missing('customer', record.customerId) : await missing('account', record.accountId);
  if (problem) return { ok: false, kind: record.kind, reason: problem };
  if (record.kind === 'customer') refs.add('customer', record.customerId);
  if (record.kind === 'account') refs.add('account', record.accountId);
  return { ok: true, record, value: value as Record<string, unknown> };
}

/** A statement's PDF as a row of statement_document; a string is the reason it cannot be. */
async function documentRow(baseDir: string, statementId: string, path: string): Promise<ImportRow<'statement_document'> | string> {
  let content: Buffer;
  try {
    content = await readFile(resolve(baseDir, path));
  } catch {
    return `document ${JSON.stringify(path)} cannot be read`;
  }
  if (content.length > MAX_DOCUMENT_BYTES) return `document ${JSON.stringify(path)} is larger than ${MAX_DOCUMENT_BYTES / 1048576} MB`;
  if (content.subarray(0, 5).toString('latin1') !== '%PDF-') return `document ${JSON.stringify(path)} is not a PDF`;
  return {
    statement_id: statementId,
    content_type: 'application/pdf',
    sha256: createHash('sha256').update(content).digest('hex'),
    size: content.length,
    content,
  };
}

/**
 * `--strict`'s first pass over a file: validation only, against a scratch view of the references.
 * A file with any bad record is refused whole: its bad records are listed, its good ones counted
 * as rejected too (by kind), and nothing of it is written.
 */
async function passesStrict(source: RecordSource, refs: References, report: ImportReport): Promise<boolean> {
  const scratch = refs.fork();
  const good: Partial<Record<ParsedRecord['kind'], number>> = {};
  let bad = 0;
  for await (const raw of source.records(() => {})) {
    const verdict = await check(raw.value, raw.error, scratch);
    let reason = verdict.ok ? undefined : verdict.reason;
    if (verdict.ok && verdict.record.kind === 'statement' && verdict.record.document !== undefined) {
      const row = await documentRow(source.baseDir, verdict.record.statementId, verdict.record.document);
      if (typeof row === 'string') reason = row;
    }
    const kind = verdict.ok ? verdict.record.kind : verdict.kind;
    if (reason === undefined) {
      good[kind as ParsedRecord['kind']] = (good[kind as ParsedRecord['kind']] ?? 0) + 1;
    } else {
      bad++;
      reject(report, { file: source.name, line: raw.line, ...(kind ? { kind } : {}), reason });
    }
  }
  if (bad === 0) return true;
  report.rejectedFiles.push(source.name);
  for (const [kind, n] of Object.entries(good) as Array<[ParsedRecord['kind'], number]>) {
    report.rejected[kind] += n;
    report.rejectedTotal += n;
  }
  return false;
}

/**
 * Loads records into the store: each record validated, its references checked, and written by
 * idempotent upserts in batches of one database transaction each. A crash loses at most the
 * batch in flight and a re-run writes the same rows again, so nothing is ever duplicated.
 */
export async function importSources(db: Kysely<ApiSchema>, sources: readonly RecordSource[], options: ImportOptions = {}): Promise<ImportReport> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return importInto(db, 'postgres', sources, options);
  // SQLite: a larger page cache (32 MB) for the index updates, on this connection and for this
  // import only (WAL and synchronous=NORMAL are already set, and safe as they are).
  const { rows } = await sql<{ cache_size: number }>`pragma cache_size`.execute(db);
  await sql`pragma cache_size = -32768`.execute(db);
  try {
    return await importInto(db, 'sqlite', sources, options);
  } finally {
    await sql`pragma cache_size = ${sql.raw(String(Number(rows[0]?.cache_size ?? -2000)))}`.execute(db);
  }
}

async function importInto(db: Kysely<ApiSchema>, engine: 'sqlite' | 'postgres', sources: readonly RecordSource[], options: ImportOptions): Promise<ImportReport> {
  const started = performance.now();
  const report = emptyReport();
  const limit = options.batchSize ?? DEFAULT_BATCH;
  const totalBytes = sources.every((s) => s.size !== undefined) ? sources.reduce((n, s) => n + s.size!, 0) : undefined;
  const refs = new References(db);
  let bytes = 0;
  let records = 0;
  const progress = () =>
    options.onProgress?.({ records, rejected: report.rejectedTotal, bytes, totalBytes, elapsedMs: performance.now() - started });

  let batch = emptyBatch();
  let bytesInBatch = 0;
  let pending: Array<ParsedRecord['kind'] | 'document'> = [];
  const flush = async () => {
    if (batchSize(batch) === 0) return;
    await writeBatch(db, engine, batch);
    for (const kind of pending) report.imported[kind]++;
    batch = emptyBatch();
    pending = [];
    bytesInBatch = 0;
    progress();
  };

  for (const source of sources) {
    report.files++;
    if (options.strict && !(await passesStrict(source, refs, report))) {
      bytes += source.size ?? 0;
      progress();
      continue;
    }
    for await (const raw of source.records((n) => (bytes += n))) {
      records++;
      const verdict = await check(raw.value, raw.error, refs);
      if (!verdict.ok) {
        reject(report, { file: source.name, line: raw.line, ...(verdict.kind ? { kind: verdict.kind } : {}), reason: verdict.reason });
        continue;
      }
      const { record } = verdict;
      if (record.kind === 'statement' && record.document !== undefined) {
        const row = await documentRow(source.baseDir, record.statementId, record.document);
        if (typeof row === 'string') {
          reject(report, { file: source.name, line: raw.line, kind: 'statement', reason: row });
          continue;
        }
        batch.statement_document.set(row.statement_id, row);
        bytesInBatch += row.size;
        pending.push('document');
      }
      const { table, row } = rowOf(verdict.value, record);
      (batch[table] as Map<string, ImportRow>).set(String((row as { id: string }).id), row);
      bytesInBatch += rowBytes(row);
      pending.push(record.kind);
      if (pending.length >= limit || bytesInBatch >= BATCH_BYTES) await flush();
      else if (records % 1000 === 0) progress();
    }
  }
  await flush();
  report.seconds = Math.round((performance.now() - started) / 100) / 10;
  return report;
}
