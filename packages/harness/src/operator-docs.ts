// The operator's monitoring files in docs/ (README: Metrics): the Grafana dashboard and the
// Prometheus alert rules, read as an operator's Grafana and Prometheus would load them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './caddy.js';

export const DASHBOARD_FILE = join(ROOT, 'docs/grafana/dashboard.json');
export const ALERTS_FILE = join(ROOT, 'docs/prometheus/alerts.yml');

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { type: string; uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Array<{ refId: string; expr: string; legendFormat?: string }>;
  /** A collapsed row keeps its panels here. */
  panels?: DashboardPanel[];
}

export interface Dashboard {
  title: string;
  uid: string;
  panels: DashboardPanel[];
  templating: { list: Array<{ name: string; type: string; query?: string }> };
}

export interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleFile {
  groups: Array<{ name: string; rules: AlertRule[] }>;
}

export const loadDashboard = (file = DASHBOARD_FILE): Dashboard => JSON.parse(readFileSync(file, 'utf8')) as Dashboard;
export const loadAlertRules = (file = ALERTS_FILE): RuleFile => parse(readFileSync(file, 'utf8')) as RuleFile;

/** Every panel, those inside collapsed rows included. */
export function dashboardPanels(dashboard: Dashboard): DashboardPanel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Every PromQL query of the dashboard and the rules, with where it is (for failure messages). */
export function operatorQueries(dashboard = loadDashboard(), rules = loadAlertRules()): Array<{ where: string; expr: string }> {
  const panels = dashboardPanels(dashboard).flatMap((p) => (p.targets ?? []).map((t) => ({ where: `dashboard panel "${p.title}" ${t.refId}`, expr: t.expr })));
  const alerts = rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `rule ${r.alert ?? r.record}`, expr: r.expr })));
  return [...panels, ...alerts];
}
