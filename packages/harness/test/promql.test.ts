import { describe, expect, it } from 'vitest';
import { Scrape } from '../src/metrics.js';
import { promqlRefs } from '../src/promql.js';

describe('promqlRefs', () => {
  it('finds the metrics of a ratio, not its functions, grouping labels, matchers or ranges', () => {
    const expr = `sum by (service, http_route) (rate(http_server_request_duration_seconds_count{http_response_status_code=~"5..", x="a{b}"}[5m]))
      / on (service) group_left sum without (instance) (rate(other_total[$__rate_interval] offset 1h))`;
    expect(promqlRefs(expr)).toEqual(['http_server_request_duration_seconds_count', 'other_total']);
  });

  it('skips numbers, durations, scalar arithmetic, keywords and Grafana variables', () => {
    expect(promqlRefs('max by (alg) (key_age_seconds) > 335 * 86400 and bool 1e3 unless absent(x_total) or vector(0.99)')).toEqual(['key_age_seconds', 'x_total']);
    expect(promqlRefs('histogram_quantile(0.99, sum by (le) (rate(d_seconds_bucket{route="$route"}[${interval}])))')).toEqual(['d_seconds_bucket']);
    expect(promqlRefs('up == 0')).toEqual(['up']);
  });

  it('names a metric once, in order of appearance, and reads colons of recorded series', () => {
    expect(promqlRefs('a_total / ignoring (x) a_total + job:b_total:rate5m')).toEqual(['a_total', 'job:b_total:rate5m']);
  });
});

describe('Scrape.declares', () => {
  const scrape = Scrape.parse(
    ['# TYPE c_total counter', '# TYPE h_seconds histogram', '# TYPE s_seconds summary', '# TYPE g gauge', 'c_total 1', ''].join('\n'),
  );

  it('knows declared families, sampled yet or not, and the series of histograms and summaries', () => {
    for (const name of ['c_total', 'g', 'h_seconds', 'h_seconds_bucket', 'h_seconds_sum', 'h_seconds_count', 's_seconds_sum', 's_seconds_count']) {
      expect(scrape.declares(name), name).toBe(true);
    }
  });

  it('refuses names it does not serve, and suffixes a family of its type does not have', () => {
    for (const name of ['missing_total', 's_seconds_bucket', 'g_count', 'c_total_sum']) expect(scrape.declares(name), name).toBe(false);
  });
});
