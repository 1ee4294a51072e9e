import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, runCli, type CliIo, type CliProgram } from '@apps/shared';
import { program } from '../../src/cli/program.js';
import type { OperatorDeps } from '../../src/cli/deps.js';
import { testConfig } from '../support.js';
import { ENGINES, openTestStore, tempDir, type TestStore } from '../import/store.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const EXAMPLE = join(ROOT, 'examples/bank-data');

/** The real program with its database swapped for the test store (kept open across commands). */
function programOn(store: TestStore): CliProgram<OperatorDeps> {
  return {
    ...program,
    open: async () => ({ config: testConfig(store.env), logger: createLogger({ name: 'kit', level: 'silent' }), database: store.database, close: async () => {} }),
  };
}

async function cli(target: CliProgram<OperatorDeps>, argv: string[], isTty = false) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTty };
  const code = await runCli(target, argv, io);
  return { code, stdout, stderr };
}

describe.each(ENGINES)('pnpm kit data on %s', (engine) => {
  let store: TestStore;
  let files: ReturnType<typeof tempDir>;
  let kit: CliProgram<OperatorDeps>;
  beforeAll(async () => {
    store = await openTestStore(engine);
    files = tempDir();
    kit = programOn(store);
  });
  afterAll(async () => {
    await store.close();
    files.remove();
  });

  it('imports the example set: exit 0, a summary per kind', async () => {
    const { code, stdout, stderr } = await cli(kit, ['data', 'import', EXAMPLE]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^kind\s+imported\s+rejected$/m);
    expect(stdout).toMatch(/^transaction\s+10\s+0$/m);
    expect(stdout).toMatch(/^23 records imported, 0 rejected, from 5 files in \d+\.\d s$/m);
  });

  it('prints the same summary as JSON with --json', async () => {
    const { code, stdout } = await cli(kit, ['data', 'import', join(EXAMPLE, '02-accounts.ndjson'), '--json', '--batch', '2']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { imported: Record<string, number>; rejectedTotal: number; files: number };
    expect(report).toMatchObject({ rejectedTotal: 0, files: 1, imported: { account: 5 } });
  });

  it('exits 4 when records were rejected, still printing the summary and where each bad record is', async () => {
    const bad = join(files.dir, 'bad.ndjson');
    writeFileSync(bad, '{"kind":"customer","customerId":"c-cli","name":{"first":"A","last":"B"}}\n{"kind":"customer","customerId":"c-cli-2"}\n');
    const text = await cli(kit, ['data', 'import', bad]);
    expect(text.code).toBe(4);
    expect(text.stdout).toMatch(/^customer\s+1\s+1$/m);
    expect(text.stdout).toContain(`${bad}:2: customer: name: `);
    expect(text.stderr).toBe('pnpm kit data import: 1 record rejected (the others were imported)\n');
    const json = await cli(kit, ['data', 'import', bad, '--json']);
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stdout)).toMatchObject({ exitCode: 4, error: '1 record rejected (the others were imported)', rejectedTotal: 1, rejections: [{ file: bad, line: 2, kind: 'customer' }] });
  });

  it('exits 4 under --strict and writes nothing of the refused file', async () => {
    const bad = join(files.dir, 'strict.ndjson');
    writeFileSync(bad, '{"kind":"customer","customerId":"c-strict-cli","name":{"first":"A","last":"B"}}\nnot json\n');
    const { code, stdout } = await cli(kit, ['data', 'import', '--strict', bad, '--json']);
    expect(code).toBe(4);
    expect(JSON.parse(stdout)).toMatchObject({ rejectedFiles: [bad], rejected: { customer: 1, unknown: 1 } });
    expect(await store.database.db.selectFrom('customer').select('id').where('id', '=', 'c-strict-cli').execute()).toEqual([]);
  });

  it('exits 3 for a path that does not exist, 2 for bad usage', async () => {
    const missing = await cli(kit, ['data', 'import', join(files.dir, 'nope.ndjson')]);
    expect(missing).toMatchObject({ code: 3, stdout: '' });
    expect(missing.stderr).toMatch(/nope\.ndjson: no such file or folder\n$/);
    const noPath = await cli(kit, ['data', 'import']);
    expect(noPath.code).toBe(2);
    expect(noPath.stderr).toContain('missing <path>...');
    const badBatch = await cli(kit, ['data', 'import', EXAMPLE, '--batch', '0']);
    expect(badBatch.code).toBe(2);
    expect(badBatch.stderr).toContain('--batch must be an integer from 1 to 50000');
    expect((await cli(kit, ['data', 'import', '--help'])).stdout).toContain('--strict');
  });

  it('refuses a large JSON file with a hint to use NDJSON', async () => {
    const big = join(files.dir, 'big.json');
    writeFileSync(big, `[${' '.repeat(33 * 1024 * 1024)}]`);
    const { code, stderr } = await cli(kit, ['data', 'import', big]);
    expect(code).toBe(1);
    expect(stderr).toContain('write it as NDJSON');
  });

  it('counts rows per table', async () => {
    const { code, stdout } = await cli(kit, ['data', 'stats', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ engine, tables: { customer: 3, account: 5, transaction: 10, statement_document: 1 } });
    expect((await cli(kit, ['data', 'stats'])).stdout).toMatch(/^statement_document\s+1$/m);
  });
});

describe('pnpm kit data, the real command', () => {
  let files: ReturnType<typeof tempDir>;
  beforeAll(() => {
    files = tempDir();
  });
  afterAll(() => files.remove());

  const kit = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, [join(ROOT, 'scripts/kit.js'), ...args], { cwd: ROOT, env: { ...process.env, NODE_ENV: 'test', ...env }, encoding: 'utf8', timeout: 60_000 });

  it('imports a folder (exit 0) and re-imports it (exit 0, same counts)', () => {
    const env = { DATA_DIR: files.dir };
    const first = kit(['data', 'import', 'examples/bank-data', '--json'], env);
    expect(first.status, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ rejectedTotal: 0, imported: { customer: 2, transaction: 10 } });
    const again = kit(['data', 'import', 'examples/bank-data'], env);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('23 records imported, 0 rejected');
    const stats = kit(['data', 'stats', '--json'], env);
    expect(JSON.parse(stats.stdout)).toMatchObject({ tables: { transaction: 10, statement_document: 1 } });
  });

  it('exits 1 with a one-line message when the database is unreachable', () => {
    const res = kit(['data', 'import', 'examples/bank-data'], { DATA_DIR: files.dir, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    expect(res.status).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/^pnpm kit data import: failed: .*ECONNREFUSED/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});

