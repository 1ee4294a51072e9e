import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { machineInfo, ratio, toMarkdown, writeReport, type Report } from '../lib/report.js';

const report = (): Report => ({
  machine: { ...machineInfo(new Date('2026-01-02T03:04:05.678Z')), cpu: 'Test CPU', cores: 2, memoryGb: 4 },
  settings: { durationSeconds: 1, connections: 2 },
  sections: [
    {
      title: 'API vs bare Express',
      columns: ['case', 'req/s', 'p99 ms', 'ratio to bare'],
      rows: [
        { case: 'bare | route', 'req/s': 12345, 'p99 ms': 3.456, 'ratio to bare': 1 },
        { case: 'API', 'req/s': 8000, 'p99 ms': null, 'ratio to bare': ratio(8000, 12345) },
      ],
      notes: ['Target ≥ 0.6'],
    },
  ],
});

describe('the benchmark report writer', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renders machine info, settings and one markdown table per section', () => {
    const md = toMarkdown(report());
    expect(md).toContain('2026-01-02T03:04:05.678Z · Test CPU × 2 · 4 GB · Node v');
    expect(md).toContain('Settings: durationSeconds=1, connections=2');
    expect(md).toContain('| case | req/s | p99 ms | ratio to bare |\n| --- | ---: | ---: | ---: |');
    expect(md).toContain('| bare \\| route | 12,345 | 3.46 | 1 |');
    expect(md).toContain('| API | 8,000 | – | 0.65 |');
    expect(md).toContain('- Target ≥ 0.6');
  });

  it('writes the same report as markdown and JSON, stamped and as latest', () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    writeReport(dir, report());
    expect(readdirSync(dir).sort()).toEqual([
      'bench-2026-01-02T03-04-05-678Z.json',
      'bench-2026-01-02T03-04-05-678Z.md',
      'latest.json',
      'latest.md',
    ]);
    const json = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as Report;
    expect(json.machine).toMatchObject({ cpu: 'Test CPU', cores: 2, node: process.version });
    expect(json.sections[0]!.rows[1]).toEqual({ case: 'API', 'req/s': 8000, 'p99 ms': null, 'ratio to bare': 0.65 });
    expect(readFileSync(join(dir, 'latest.md'), 'utf8')).toBe(toMarkdown(report()));
  });

  it('has no ratio without both figures', () => {
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(undefined, 2)).toBeNull();
    expect(ratio(1, 3)).toBe(0.33);
  });
});
