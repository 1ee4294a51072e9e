import { RECORD_KINDS, type RecordKind } from './records.js';

/** A record that was not imported: where it is and why. */
export interface Rejection {
  file: string;
  line: number;
  kind?: string;
  reason: string;
}

export interface ImportReport {
  /** Records written, by kind (a statement's document counts under `document`). */
  imported: Record<RecordKind | 'document', number>;
  rejected: Record<RecordKind | 'unknown', number>;
  /** The first rejections in input order (at most MAX_LISTED; `rejectedTotal` counts them all). */
  rejections: Rejection[];
  rejectedTotal: number;
  /** Files refused whole under --strict. */
  rejectedFiles: string[];
  files: number;
  seconds: number;
}

/** How many rejections a report lists; the count covers the rest. */
export const MAX_LISTED = 100;

export function emptyReport(): ImportReport {
  const zero = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  return {
    imported: zero([...RECORD_KINDS, 'document'] as const),
    rejected: zero([...RECORD_KINDS, 'unknown'] as const),
    rejections: [],
    rejectedTotal: 0,
    rejectedFiles: [],
    files: 0,
    seconds: 0,
  };
}

export function reject(report: ImportReport, rejection: Rejection): void {
  const kind = rejection.kind !== undefined && Object.hasOwn(report.rejected, rejection.kind) ? (rejection.kind as RecordKind) : 'unknown';
  report.rejected[kind]++;
  report.rejectedTotal++;
  if (report.rejections.length < MAX_LISTED) report.rejections.push(rejection);
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** The summary printed at the end of `pnpm kit data import` (text form). */
export function reportText(report: ImportReport, shown = 20): string {
  const lines: string[] = [];
  const kinds = Object.keys(report.imported).filter((k) => report.imported[k as keyof ImportReport['imported']] > 0 || (report.rejected[k as keyof ImportReport['rejected']] ?? 0) > 0);
  if (report.rejected.unknown > 0) kinds.push('unknown');
  const width = Math.max(8, ...kinds.map((k) => k.length));
  lines.push(`${'kind'.padEnd(width)}  ${'imported'.padStart(9)}  ${'rejected'.padStart(9)}`);
  for (const kind of kinds) {
    const imported = report.imported[kind as keyof ImportReport['imported']] ?? 0;
    const rejected = report.rejected[kind as keyof ImportReport['rejected']] ?? 0;
    lines.push(`${kind.padEnd(width)}  ${String(imported).padStart(9)}  ${String(rejected).padStart(9)}`);
  }
  const imported = sum(report.imported) - report.imported.document;
  lines.push(`${imported} record${imported === 1 ? '' : 's'} imported, ${report.rejectedTotal} rejected, from ${report.files} file${report.files === 1 ? '' : 's'} in ${report.seconds.toFixed(1)} s`);
  for (const file of report.rejectedFiles) lines.push(`rejected whole (--strict): ${file}`);
  for (const r of report.rejections.slice(0, shown)) lines.push(`  ${r.file}:${r.line}: ${r.kind ? `${r.kind}: ` : ''}${r.reason}`);
  if (report.rejectedTotal > shown) lines.push(`  … and ${report.rejectedTotal - shown} more (--json lists the first ${MAX_LISTED})`);
  return lines.join('\n');
}
