import { describe, expect, it } from 'vitest';
import { progressPrinter } from '../../src/import/progress.js';

const at = (elapsedMs: number, records: number, bytes: number) => ({ records, rejected: 2, bytes, totalBytes: 1000, elapsedMs });

describe('import progress', () => {
  it('redraws one terminal line with counts, rate and ETA, and clears it at the end', () => {
    let out = '';
    const p = progressPrinter((t) => (out += t), true);
    p.update(at(100, 10, 10));
    expect(out).toBe('');
    p.update(at(2000, 50_000, 250));
    expect(out).toBe('\r50,000 records (2 rejected), 25,000/s, 2 s, 25 %, ETA 6 s\u001b[K');
    p.update(at(2100, 51_000, 260));
    expect(out).not.toContain('51,000');
    p.done();
    expect(out.endsWith('\r\u001b[K')).toBe(true);
  });

  it('prints plain lines every 10 s when not on a terminal', () => {
    const lines: string[] = [];
    const p = progressPrinter((t) => lines.push(t), false);
    p.update(at(2000, 1, 1));
    p.update(at(10_000, 100_000, 100));
    p.update(at(15_000, 150_000, 150));
    p.update(at(20_000, 200_000, 200));
    p.done();
    expect(lines).toEqual([
      'import: 100,000 records (2 rejected), 10,000/s, 10 s, 10 %, ETA 1 min 30 s\n',
      'import: 200,000 records (2 rejected), 10,000/s, 20 s, 20 %, ETA 1 min 20 s\n',
    ]);
  });
});
