import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '@kit/harness/caddy';
import { dashboardPanels, loadAlertRules, loadDashboard, operatorQueries } from '@kit/harness/operator-docs';
import { promqlRefs } from '@kit/harness/promql';
import { describe, expect, it } from 'vitest';

// That every metric they query is served is proven against the running services (e2e/stack.test.ts).

const DURATION = /^\d+[smhdw]$/;
const family = (name: string) => name.replace(/_(bucket|sum|count)$/, '');

describe('the Grafana dashboard (docs/grafana/dashboard.json)', () => {
  const dashboard = loadDashboard();
  const panels = dashboardPanels(dashboard);
  const graphs = panels.filter((p) => p.type !== 'row');

  it('asks for its Prometheus data source on import, and every graph uses it', () => {
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }));
    for (const panel of graphs) expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
  });

  it('has unique panel ids, a description and a legend per query, and a layout within 24 columns without overlaps', () => {
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Set<string>();
    for (const panel of panels) {
      const { x, y, w, h } = panel.gridPos;
      expect(x + w, panel.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) for (let j = y; j < y + h; j++) expect(cells.has(`${i},${j}`), `${panel.title} overlaps at ${i},${j}`).toBe(false);
      for (let i = x; i < x + w; i++) for (let j = y; j < y + h; j++) cells.add(`${i},${j}`);
    }
    for (const panel of graphs) {
      expect(panel.description, panel.title).toBeTruthy();
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.legendFormat, `${panel.title} ${target.refId}`).toBeTruthy();
    }
  });

  it('shows what the issue asks an operator to see', () => {
    const queried = new Set(operatorQueries(dashboard, { groups: [] }).flatMap((q) => promqlRefs(q.expr).map(family)));
    for (const name of [
      'http_server_request_duration_seconds',
      'op_token_grants_total',
      'op_logins_total',
      'op_lockouts_total',
      'op_client_authentication_failures_total',
      'op_consents_total',
      'op_consents_ended_total',
      'op_signing_key_in_use_age_seconds',
      'op_signing_key_needed_seconds',
      'api_consent_revocation_state_age_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_gc_duration_seconds',
    ]) {
      expect(queried.has(name), name).toBe(true);
    }
  });
});

describe('the Prometheus alert rules (docs/prometheus/alerts.yml)', () => {
  const rules = loadAlertRules().groups.flatMap((g) => g.rules);

  it('names every alert once, with a severity, a summary and a description, and durations Prometheus reads', () => {
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
    for (const rule of rules) {
      expect(rule.alert, rule.expr).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(['warning', 'critical'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
      if (rule.for !== undefined) expect(rule.for, rule.alert).toMatch(DURATION);
    }
  });

  it('alerts on 5xx, p99, lockout spikes, an old signing key, a retired key still needed and a stale revocation state', () => {
    const exprOf = (alert: string) => rules.find((r) => r.alert === alert)?.expr ?? '';
    expect(exprOf('HttpServerErrors')).toMatch(/http_server_request_duration_seconds_count\{http_response_status_code=~"5\.\."\}/);
    expect(exprOf('HttpLatencyP99High')).toMatch(/histogram_quantile\(0\.99,.*http_server_request_duration_seconds_bucket/s);
    expect(promqlRefs(exprOf('LoginLockoutSpike'))).toEqual(['op_lockouts_total']);
    // 11 months.
    expect(exprOf('SigningKeyOld')).toMatch(/op_signing_key_in_use_age_seconds\) > 335 \* 86400$/m);
    expect(exprOf('RetiredSigningKeyStillNeeded')).toMatch(/op_signing_key_needed_seconds\{state="retired"\}\) > 0/);
    expect(exprOf('ConsentRevocationStateStale')).toMatch(/api_consent_revocation_state_age_seconds\) > 10$/m);
    expect(promqlRefs(exprOf('ConsentFeedFailing'))).toEqual(['api_consent_feed_polls_total']);
  });
});

describe('README, Metrics', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it('documents every metric the dashboard and the rules query', () => {
    const undocumented = operatorQueries()
      .flatMap((q) => promqlRefs(q.expr))
      .filter((name) => name !== 'up' && !/^(nodejs|process)_/.test(name) && !readme.includes(`\`${family(name)}\``));
    expect(undocumented).toEqual([]);
  });
});
