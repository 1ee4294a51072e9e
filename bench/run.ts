/**
 * `pnpm bench [module…]`: runs the named benchmark modules (default: every available one)
 * and writes a markdown table and a JSON file with machine info under bench-results/.
 * Settings from the environment: BENCH_DURATION (s per case, 10), BENCH_CONNECTIONS (50),
 * BENCH_SIZES (growth volumes, 10000,100000,1000000), BENCH_RESULTS_DIR (bench-results),
 * BENCH_HEAP (heap-flag variants for the footprint loads, see lib/context.ts).
 */
import { heapLabel, settingsFromEnv, type BenchContext } from './lib/context.js';
import { machineInfo, toMarkdown, writeReport, type Report } from './lib/report.js';
import { MODULES } from './modules/index.js';

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !MODULES.some((m) => m.name === name));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${MODULES.map((m) => m.name).join(', ')}`);
  process.exit(2);
}
const settings = settingsFromEnv();
const ctx: BenchContext = { settings, log: (m) => console.error(`[bench] ${m}`) };
const report: Report = {
  machine: machineInfo(),
  settings: {
    durationSeconds: settings.durationSeconds,
    connections: settings.connections,
    sizes: settings.sizes.join(','),
    heap: settings.heapVariants.map(heapLabel).join('; '),
  },
  sections: [],
};

const failed: string[] = [];
for (const module of MODULES.filter((m) => wanted.length === 0 || wanted.includes(m.name))) {
  const available = await module.available();
  if (available !== true) {
    ctx.log(`skipping ${module.name}: ${available}`);
    report.sections.push({ title: `${module.name} (skipped)`, columns: ['reason'], rows: [{ reason: available }] });
    continue;
  }
  ctx.log(`running ${module.name}: ${module.description}`);
  try {
    report.sections.push(...(await module.run(ctx)));
  } catch (err) {
    // One module failing must not lose the others' figures: report it and exit non-zero at the end.
    failed.push(module.name);
    const reason = err instanceof Error ? err.message : String(err);
    ctx.log(`${module.name} failed: ${reason}`);
    report.sections.push({ title: `${module.name} (failed)`, columns: ['error'], rows: [{ error: reason }] });
  }
}

process.stdout.write(toMarkdown(report));
for (const file of writeReport(settings.resultsDir, report)) ctx.log(`wrote ${file}`);
if (failed.length > 0) {
  ctx.log(`failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
