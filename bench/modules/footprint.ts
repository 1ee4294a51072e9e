import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIENCE, ISSUER, newKey, signToken, startJwks } from '../../apps/api/test/support.js';
import { seededDataDir } from '../lib/api-data.js';
import { FDX } from '../lib/api-target.js';
import { REPO_ROOT, type BenchModule } from '../lib/context.js';
import { load } from '../lib/load.js';
import { freePort, rssMb, spawnNode, stopChild, waitFor200 } from '../lib/process.js';
import type { Section } from '../lib/report.js';

const API_MAIN = join(REPO_ROOT, 'apps', 'api', 'dist', 'main.js');
const STARTS = 5;

function buildIfMissing(log: (m: string) => void): void {
  if (existsSync(API_MAIN) && existsSync(join(REPO_ROOT, 'apps', 'shared', 'dist', 'index.js'))) return;
  log('footprint: building apps/api (and apps/shared)');
  const pnpm = process.env.npm_execpath;
  const [cmd, args] = pnpm ? [process.execPath, [pnpm]] : ['pnpm', []];
  execFileSync(cmd, [...args, '--filter', '@apps/api...', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The built API as it runs in production (`node apps/api/dist/main.js`): start time and memory. */
export const footprintModule: BenchModule = {
  name: 'footprint',
  description: 'cold start of the built API to /public/ready, RSS idle and under load',
  available: async () => true,
  async run(ctx) {
    buildIfMissing(ctx.log);
    const dataDir = await seededDataDir(ctx.settings.resultsDir, 0, ctx.log);
    const key = await newKey('bench-key');
    const jwks = await startJwks([key.jwk]);
    // An empty working directory: main.js reads .env from it.
    const cwd = mkdtempSync(join(tmpdir(), 'bench-footprint-'));
    const starts: number[] = [];
    const rows: Array<Record<string, string | number | null>> = [];
    try {
      for (let i = 0; i < STARTS; i++) {
        const port = await freePort();
        const env = {
          NODE_ENV: 'development',
          LOG_LEVEL: 'info',
          HOST: '127.0.0.1',
          PORT: String(port),
          OP_ISSUER: ISSUER,
          API_AUDIENCE: AUDIENCE,
          JWKS_URI: jwks.url,
          DATA_DIR: dataDir,
          SEED_ON_START: 'false',
          RATE_LIMIT_PER_CLIENT: '1000000000',
          RATE_LIMIT_PER_IP: '1000000000',
        };
        const started = performance.now();
        const child = spawnNode([API_MAIN], env, cwd);
        try {
          starts.push(await waitFor200(`http://127.0.0.1:${port}/public/ready`, started));
          if (i < STARTS - 1) continue;
          await new Promise((r) => setTimeout(r, 2000));
          const idle = rssMb(child.pid);
          let peak = 0;
          const sampler = setInterval(() => (peak = Math.max(peak, rssMb(child.pid) ?? 0)), 200);
          const token = await signToken(key, { expiresIn: Math.floor(Date.now() / 1000) + 3600 });
          ctx.log('footprint: RSS under load (GET /accounts)');
          const r = await load(`http://127.0.0.1:${port}${FDX}/accounts`, {
            durationSeconds: ctx.settings.durationSeconds,
            connections: ctx.settings.connections,
            headers: { authorization: `Bearer ${token}` },
          });
          clearInterval(sampler);
          rows.push({ measure: 'RSS at idle (MB)', value: idle ?? null });
          rows.push({ measure: `RSS peak under load (MB, ${r.rps} req/s)`, value: peak || null });
        } finally {
          await stopChild(child);
        }
      }
    } finally {
      await jwks.close();
      rmSync(cwd, { recursive: true, force: true });
    }
    rows.unshift(
      { measure: `cold start to ready, median of ${STARTS} (ms)`, value: Math.round(median(starts)) },
      { measure: 'cold start to ready, slowest (ms)', value: Math.round(Math.max(...starts)) },
    );
    const section: Section = {
      title: 'Footprint: built API (node apps/api/dist/main.js, SQLite)',
      columns: ['measure', 'value'],
      rows,
      notes: ['Targets: ready in under 1.5 s after build; RSS under 150 MB. Start = spawn until GET /public/ready answers 200 (database migrated and reachable).'],
    };
    return [section];
  },
};
