import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, platform, release } from 'node:os';
import { join } from 'node:path';

export type Cell = string | number | null;

/** One table of the report: a benchmark's cases as rows. */
export interface Section {
  title: string;
  columns: string[];
  rows: Array<Record<string, Cell>>;
  /** Ratios and targets, in words. */
  notes?: string[];
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  os: string;
  date: string;
}

export interface Report {
  machine: Machine;
  settings: Record<string, Cell>;
  sections: Section[];
}

export function machineInfo(now = new Date()): Machine {
  const all = cpus();
  return {
    cpu: all[0]?.model.trim() ?? 'unknown',
    cores: all.length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()}`,
    date: now.toISOString(),
  };
}

function formatCell(value: Cell | undefined): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return '–';
    if (Number.isInteger(value)) return value.toLocaleString('en-US');
    return value.toLocaleString('en-US', { maximumFractionDigits: Math.abs(value) < 10 ? 2 : 1 });
  }
  return value.replace(/\|/g, '\\|');
}

export function toMarkdown(report: Report): string {
  const m = report.machine;
  const out = [
    '# Benchmark results',
    '',
    `${m.date} · ${m.cpu} × ${m.cores} · ${m.memoryGb} GB · Node ${m.node} · ${m.os}`,
    '',
    `Settings: ${Object.entries(report.settings)
      .map(([k, v]) => `${k}=${formatCell(v)}`)
      .join(', ')}`,
  ];
  for (const section of report.sections) {
    out.push('', `## ${section.title}`, '');
    out.push(`| ${section.columns.join(' | ')} |`);
    out.push(`| ${section.columns.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`);
    for (const row of section.rows) out.push(`| ${section.columns.map((c) => formatCell(row[c])).join(' | ')} |`);
    if (section.notes?.length) out.push('', ...section.notes.map((n) => `- ${n}`));
  }
  return `${out.join('\n')}\n`;
}

/** Writes `<stamp>.md` and `<stamp>.json` and the same as `latest.*`; returns the paths written. */
export function writeReport(dir: string, report: Report): string[] {
  mkdirSync(dir, { recursive: true });
  const stamp = `bench-${report.machine.date.replace(/[:.]/g, '-')}`;
  const markdown = toMarkdown(report);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const written: string[] = [];
  for (const name of [stamp, 'latest']) {
    writeFileSync(join(dir, `${name}.md`), markdown);
    writeFileSync(join(dir, `${name}.json`), json);
    written.push(join(dir, `${name}.md`), join(dir, `${name}.json`));
  }
  return written;
}

/** a / b, or null when either is missing; ratios are what the report compares. */
export function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return Math.round((a / b) * 100) / 100;
}
