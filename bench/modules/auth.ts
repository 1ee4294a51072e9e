import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, type BenchModule } from '../lib/context.js';
import type { Section } from '../lib/report.js';

const AUTH_DIR = join(REPO_ROOT, 'apps', 'auth');
const SCRIPT = join(AUTH_DIR, 'bench', 'refresh.ts');

/**
 * The OP's own benchmark (apps/auth/bench/refresh.ts: refresh grants/s vs half the RS256
 * signing rate, SQLite vs oidc-provider's in-memory adapter), run in its own process and
 * its `label: value` lines taken into the report.
 */
export const authModule: BenchModule = {
  name: 'auth',
  description: 'OP refresh-token grants vs the RS256 signing bound, persistence cost (apps/auth/bench)',
  available: async () => (existsSync(SCRIPT) ? true : 'apps/auth/bench/refresh.ts is absent'),
  async run(ctx) {
    ctx.log('auth: apps/auth/bench/refresh.ts');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--conditions=source', SCRIPT], {
      cwd: AUTH_DIR,
      env: { ...process.env, BENCH_SECONDS: String(ctx.settings.durationSeconds) },
      maxBuffer: 1 << 20,
    });
    const rows: Section['rows'] = [];
    const notes: string[] = [];
    for (const line of stdout.split('\n').map((l) => l.trim()).filter(Boolean)) {
      const match = /^([^:]+):\s+(.*)$/.exec(line);
      if (match) rows.push({ measure: match[1]!.trim(), value: match[2]!.trim() });
      else notes.push(line);
    }
    return [{ title: 'OP: refresh-token grants vs the signing bound', columns: ['measure', 'value'], rows, notes }];
  },
};
