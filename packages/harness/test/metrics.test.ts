import { describe, expect, it } from 'vitest';
import { parseExposition } from '../src/metrics.js';

describe('parseExposition', () => {
  it('reads names, escaped label values and values, and skips comments', () => {
    const text = [
      '# HELP x_total A counter.',
      '# TYPE x_total counter',
      'x_total{route="/a/:id",note="say \\"hi\\"\\\\n"} 3',
      'y_seconds_bucket{le="+Inf"} 7',
      'z 1.5e-3 1700000000000',
      '',
    ].join('\n');
    expect(parseExposition(text)).toEqual([
      { name: 'x_total', labels: { route: '/a/:id', note: 'say "hi"\\n' }, value: 3 },
      { name: 'y_seconds_bucket', labels: { le: '+Inf' }, value: 7 },
      { name: 'z', labels: {}, value: 0.0015 },
    ]);
  });

  it('refuses a line that is not a sample, so a broken exposition fails the test that scrapes it', () => {
    expect(() => parseExposition('not a sample line at all')).toThrow(/not a Prometheus sample line/);
  });
});
