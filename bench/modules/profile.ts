import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { seededDataDir, transactionsPagePath } from '../lib/api-data.js';
import { FDX, startApiTarget } from '../lib/api-target.js';
import type { BenchModule } from '../lib/context.js';
import { topSelfTime } from '../lib/cpu-profile.js';
import { load } from '../lib/load.js';
import type { Section } from '../lib/report.js';

/** The API under load with --cpu-prof: where its CPU goes, by self time. */
export const profileModule: BenchModule = {
  name: 'profile',
  description: 'CPU profile of the API under load (GET /accounts and a transactions page), top self time',
  available: async () => true,
  async run(ctx) {
    const { durationSeconds, connections, resultsDir } = ctx.settings;
    const dataDir = await seededDataDir(resultsDir, 0, ctx.log);
    const dir = join(resultsDir, 'profiles');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const page = transactionsPagePath();
    const target = await startApiTarget({ dataDir, paths: [], rateLimit: true, execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
    let requests = 0;
    try {
      for (const path of ['/accounts', page]) {
        ctx.log(`profile: ${path.split('?')[0]}`);
        requests += (await load(`${target.api}${FDX}${path}`, { durationSeconds, connections, headers: target.headers })).requests;
      }
    } finally {
      await target.stop();
    }
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no CPU profile was written to ${dir}`);
    const rows = topSelfTime(join(dir, file), 20).map((t) => ({ function: t.fn, where: t.where, 'self %': t.percent }));
    const section: Section = {
      title: 'CPU profile of the API under load (top self time)',
      columns: ['function', 'where', 'self %'],
      rows,
      notes: [`${requests.toLocaleString('en-US')} requests profiled; profile: ${join(dir, file)} (open in Chrome DevTools).`],
    };
    return [section];
  },
};
