import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '@kit/harness/caddy';
import { loadAlertRules } from '@kit/harness/operator-docs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const TESTS_FILE = 'docs/prometheus/alerts.test.yml';

/** promtool where ./scripts/test.sh puts it (.tools/bin, from Debian's prometheus package), else on PATH. */
function findPromtool(): string | undefined {
  const provisioned = join(ROOT, '.tools/bin/promtool');
  if (existsSync(provisioned)) return provisioned;
  return spawnSync('promtool', ['--version']).status === 0 ? 'promtool' : undefined;
}

const promtool = findPromtool();
if (!promtool) {
  console.warn(
    "[alert-rules.test] promtool is not installed: skipping `promtool check rules` and `promtool test rules` (./scripts/test.sh fetches it from Debian's prometheus package into .tools/bin)",
  );
}

describe('the alert rules unit tests (docs/prometheus/alerts.test.yml)', () => {
  it('test every alert of alerts.yml, firing and quiet', () => {
    const tests = (parse(readFileSync(join(ROOT, TESTS_FILE), 'utf8')) as { tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }> }).tests;
    const cases = tests.flatMap((t) => t.alert_rule_test);
    const alerts = loadAlertRules().groups.flatMap((g) => g.rules.map((r) => r.alert!));
    expect(new Set(cases.filter((c) => c.exp_alerts.length > 0).map((c) => c.alertname))).toEqual(new Set(alerts));
    expect(cases.filter((c) => c.exp_alerts.length === 0).length).toBeGreaterThanOrEqual(alerts.length / 2);
  });
});

describe.skipIf(!promtool)('promtool', () => {
  const run = (...args: string[]) => spawnSync(promtool!, args, { cwd: ROOT, encoding: 'utf8' });

  it('accepts the alert rules', () => {
    const checked = run('check', 'rules', 'docs/prometheus/alerts.yml');
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);
  });

  it('passes their unit tests: each alert fires on the series it is meant for, with its labels and annotations, and stays quiet otherwise', () => {
    const tested = run('test', 'rules', TESTS_FILE);
    expect(tested.status, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/SUCCESS/);
  });
});
