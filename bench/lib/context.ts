import { resolve } from 'node:path';
import type { Section } from './report.js';

export interface BenchSettings {
  durationSeconds: number;
  connections: number;
  /** Seeded transaction volumes for the growth benchmark. */
  sizes: number[];
  /** Where reports, cached databases and profiles go (ignored by git). */
  resultsDir: string;
}

export interface BenchContext {
  settings: BenchSettings;
  log: (message: string) => void;
}

/**
 * A benchmark module: one concern, a few cases, tables of figures. `available` says why
 * it cannot run here (e.g. the app it measures is absent) instead of failing the run.
 */
export interface BenchModule {
  name: string;
  description: string;
  available(): Promise<true | string>;
  run(ctx: BenchContext): Promise<Section[]>;
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
}

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

export function settingsFromEnv(): BenchSettings {
  const sizes = (process.env.BENCH_SIZES ?? '10000,100000,1000000')
    .split(',')
    .map((s) => Number(s.trim().replace(/_/g, '')));
  if (sizes.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error('BENCH_SIZES must be a comma-separated list of positive integers');
  return {
    durationSeconds: positiveInt('BENCH_DURATION', 10),
    connections: positiveInt('BENCH_CONNECTIONS', 50),
    sizes,
    resultsDir: resolve(REPO_ROOT, process.env.BENCH_RESULTS_DIR ?? 'bench-results'),
  };
}
