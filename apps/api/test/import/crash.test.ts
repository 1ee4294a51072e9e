import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoRecords, volumeTransactions } from '../../src/demo/records.js';
import { writeNdjson } from '../../src/import/write-ndjson.js';
import { ENGINES, openTestStore, tempDir, type TestStore } from './store.js';

const API_DIR = fileURLToPath(new URL('../..', import.meta.url));
const VOLUME = 60_000;

/** The import CLI as its own process (what `pnpm kit data import` runs), so it can be killed outright. */
function importProcess(file: string, env: Record<string, string>): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), '--conditions=source', 'src/cli.ts', 'data', 'import', file, '--batch', '2000'], {
    cwd: API_DIR,
    env: { ...process.env, ...env, NODE_ENV: 'test' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, done };
}

describe.each(ENGINES)('an import killed mid-way on %s', (engine) => {
  let store: TestStore;
  let files: ReturnType<typeof tempDir>;
  let file: string;
  let expected: number;
  beforeAll(async () => {
    store = await openTestStore(engine);
    files = tempDir();
    file = join(files.dir, 'volume.ndjson');
    const demo = [...demoRecords()];
    expected = demo.filter((r) => r.kind === 'transaction').length + VOLUME;
    await writeNdjson(file, (function* () {
      yield* demo;
      yield* volumeTransactions(VOLUME);
    })());
  });
  afterAll(async () => {
    await store.close();
    files.remove();
  });

  it('keeps every finished batch, and a re-run completes it without duplicating a row', { timeout: 120_000 }, async () => {
    const run = importProcess(file, store.env);
    // Kill it (SIGKILL: no cleanup at all) once some batches are committed.
    for (;;) {
      const n = await store.count('transaction');
      if (n >= 10_000) break;
      const exited = await Promise.race([run.done, new Promise((r) => setTimeout(r, 20, undefined))]);
      if (exited) throw new Error(`the import finished before it could be killed: ${JSON.stringify(exited)}`);
    }
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    const partial = await store.count('transaction');
    expect(partial).toBeGreaterThanOrEqual(10_000);
    expect(partial).toBeLessThan(expected);
    // Whole batches only: the volume rows land in batches of 2,000 records.
    expect(await store.count('account')).toBe(11);

    const rerun = await importProcess(file, store.env).done;
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(await store.count('transaction')).toBe(expected);
    expect(await store.count('customer')).toBe(2);
    expect(await store.count('statement')).toBe(247);
  });
});
