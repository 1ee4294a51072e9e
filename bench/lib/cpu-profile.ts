import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface SelfTime {
  fn: string;
  where: string;
  /** Share of all samples, in percent. */
  percent: number;
}

function shorten(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm + 'node_modules/'.length).replace(/^\.pnpm\/[^/]+\/node_modules\//, '');
  const apps = path.indexOf('/apps/');
  return apps >= 0 ? path.slice(apps + 1) : path || '(native)';
}

/** Top functions by self time in a V8 .cpuprofile (idle and GC are listed too: they are part of the picture). */
export function topSelfTime(file: string, top = 15): SelfTime[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const total = profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0) || 1;
  const byFunction = new Map<string, SelfTime>();
  for (const node of profile.nodes) {
    if (!node.hitCount) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const fn = functionName || '(anonymous)';
    const where = url ? `${shorten(url)}:${lineNumber + 1}` : '';
    const key = `${fn} ${where}`;
    const entry = byFunction.get(key) ?? { fn, where, percent: 0 };
    entry.percent += (node.hitCount / total) * 100;
    byFunction.set(key, entry);
  }
  return [...byFunction.values()]
    .sort((a, b) => b.percent - a.percent)
    .slice(0, top)
    .map((e) => ({ ...e, percent: Math.round(e.percent * 10) / 10 }));
}
