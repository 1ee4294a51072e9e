import { resolve } from 'node:path';
import type { Section } from './report.js';

export interface BenchSettings {
  durationSeconds: number;
  connections: number;
  /** Seeded transaction volumes for the growth benchmark. */
  sizes: number[];
  /** Where reports, cached databases and profiles go (ignored by git). */
  resultsDir: string;
  /** Node heap flags the footprint loads run under, one set per variant; `[]` is V8's default sizing. */
  heapVariants: string[][];
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

/** Heap settings compared by default: V8's own sizing, a capped old generation, and both generations capped. */
export const DEFAULT_HEAP_VARIANTS = ';--max-old-space-size=256;--max-old-space-size=256 --max-semi-space-size=8';

const HEAP_FLAG = /^--(max-old-space-size|max-semi-space-size|min-semi-space-size|initial-heap-size|max-heap-size)=[1-9][0-9]*$/;

/**
 * `BENCH_HEAP`: variants separated by `;`, each a space-separated set of V8 heap-size flags
 * (an empty variant is V8's default sizing), e.g. `;--max-old-space-size=256`.
 */
export function heapVariantsFrom(raw: string | undefined): string[][] {
  const variants = (raw ?? DEFAULT_HEAP_VARIANTS).split(';').map((v) => v.trim().split(/\s+/).filter(Boolean));
  for (const flag of variants.flat()) {
    if (!HEAP_FLAG.test(flag)) {
      throw new Error(`BENCH_HEAP: ${JSON.stringify(flag)} is not a heap-size flag such as --max-old-space-size=256 (variants are separated by ";")`);
    }
  }
  const seen = new Set(variants.map((v) => v.join(' ')));
  if (seen.size !== variants.length) throw new Error('BENCH_HEAP: the same variant is listed twice');
  return variants;
}

/** How a heap variant reads in a report. */
export const heapLabel = (flags: string[]) => (flags.length === 0 ? 'V8 default' : flags.join(' '));

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
    heapVariants: heapVariantsFrom(process.env.BENCH_HEAP),
  };
}
