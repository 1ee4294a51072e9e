import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, runCli, type CliIo, type CliProgram } from '@apps/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import type { OperatorDeps } from '../src/cli/deps.js';
import { program } from '../src/cli/program.js';
import { loadAuthConfig, type AuthConfig } from '../src/config.js';
import { LocalCustomerDirectory } from '../src/customers/local/local-directory.js';
import { hashPassword } from '../src/customers/passwords.js';
import { CustomerStore } from '../src/customers/store.js';
import { openAuthDatabase } from '../src/db/open.js';
import type { AuthDatabase } from '../src/db/schema.js';
import { LoginGuard } from '../src/security/login-guard.js';

const KIT = fileURLToPath(new URL('../../../scripts/kit.js', import.meta.url));

interface Run {
  code: number;
  out: string;
  err: string;
  json: <T = Record<string, unknown>>() => T;
}

describe.each(ENGINES)('pnpm kit customers on %s', (engine) => {
  let store: TestStore;
  let database: AuthDatabase;
  let config: AuthConfig;
  let test: CliProgram<OperatorDeps>;
  const logger = createLogger({ name: 'kit', level: 'silent' });

  /** One in-process invocation over the test database; `stdin` is what a pipe would give. */
  async function kit(argv: string[], stdin = ''): Promise<Run> {
    let out = '';
    let err = '';
    const io: CliIo = { stdout: (t) => (out += t), stderr: (t) => (err += t), isTty: false, stdin: async () => stdin };
    const code = await runCli(test, ['customers', ...argv], io);
    return { code, out, err, json: <T,>() => JSON.parse(out) as T };
  }

  const signIn = (email: string, password: string) => new LocalCustomerDirectory(new CustomerStore(database.db)).login.authenticate(email, password);
  const auditOf = (type: string) =>
    database.db.selectFrom('audit_events').select(['actor', 'detail']).where('type', '=', type).orderBy('at').execute();

  beforeAll(async () => {
    store = await createTestStore(engine);
    config = loadAuthConfig({ NODE_ENV: 'test', ...store.env });
    database = await openAuthDatabase(store.config);
    // The real program's nouns over the test database (open() would read process.env).
    test = { ...program, open: async () => ({ config, logger, database, close: async () => {} }) };
  });
  afterAll(async () => {
    await database?.close();
    await store?.cleanup();
  });

  it('adds a customer with the password from stdin, never echoing it, and audits the change', async () => {
    const run = await kit(['add', 'cust-1', '--email', 'Ann@Example.test', '--name', 'Ann Example', '--password-stdin'], 'correct horse battery\n');
    expect(run.code).toBe(0);
    expect(run.out).toBe('added customer cust-1 (ann@example.test)\n');
    expect(run.out + run.err).not.toContain('correct horse');
    expect((await signIn('ann@example.test', 'correct horse battery'))?.id).toBe('cust-1');
    expect(await auditOf('customer.added')).toEqual([{ actor: 'cli', detail: JSON.stringify({ customerId: 'cust-1' }) }]);
  });

  it('generates a password and shows it once when none is given', async () => {
    const run = await kit(['add', 'cust-2', '--email', 'bob@example.test', '--name', 'Bob', '--json']);
    expect(run.code).toBe(0);
    const added = run.json<{ id: string; status: string; password: string }>();
    expect(added).toMatchObject({ id: 'cust-2', status: 'active', hasPassword: true });
    expect(added.password).toMatch(/^[\w-]{24}$/);
    expect((await signIn('bob@example.test', added.password))?.id).toBe('cust-2');
    const show = await kit(['show', 'cust-2', '--json']);
    expect(show.out).not.toContain(added.password);
  });

  it('refuses duplicates (4), bad or missing arguments (2) and short passwords (2)', async () => {
    expect((await kit(['add', 'cust-1', '--email', 'other@example.test', '--name', 'X'])).code).toBe(4);
    const taken = await kit(['add', 'cust-9', '--email', 'ANN@example.test', '--name', 'X']);
    expect(taken.code).toBe(4);
    expect(taken.err).toBe('pnpm kit customers add: a customer with this email already exists\n');
    expect((await kit(['add', 'cust-9', '--name', 'X'])).code).toBe(2);
    expect((await kit(['add', 'cust-9', '--email', 'not-an-email', '--name', 'X'])).code).toBe(2);
    expect((await kit(['add', 'bad id!', '--email', 'x@example.test', '--name', 'X'])).code).toBe(2);
    expect((await kit(['add', 'cust-9', '--email', 'x@example.test', '--name', 'X', '--password-stdin'], 'short\n')).code).toBe(2);
    expect((await kit(['add'])).code).toBe(2);
    expect(await new CustomerStore(database.db).find('cust-9')).toBeUndefined();
  });

  it('shows one customer as text and JSON; an unknown id exits 3', async () => {
    const text = await kit(['show', 'cust-1']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^id: +cust-1\nemail: +ann@example.test\nname: +Ann Example\nstatus: +active\nlocal password: +yes\n/);
    expect((await kit(['show', 'cust-1', '--json'])).json()).toMatchObject({ id: 'cust-1', email: 'ann@example.test', status: 'active', emailVerified: true });
    const missing = await kit(['show', 'nobody', '--json']);
    expect(missing.code).toBe(3);
    expect(missing.json()).toEqual({ error: 'no customer "nobody"', exitCode: 3 });
  });

  it('blocks and unblocks (sign-in refused in between), idempotently, with audit events', async () => {
    const block = await kit(['block', 'cust-1']);
    expect([block.code, block.out]).toEqual([0, 'blocked cust-1\n']);
    expect((await kit(['block', 'cust-1'])).out).toBe('cust-1 was already blocked\n');
    expect((await kit(['show', 'cust-1', '--json'])).json()).toMatchObject({ status: 'blocked' });
    expect((await signIn('ann@example.test', 'correct horse battery'))?.status).toBe('blocked');
    expect((await kit(['unblock', 'cust-1', '--json'])).json()).toEqual({ id: 'cust-1', blocked: false, changed: true });
    expect((await kit(['block', 'nobody'])).code).toBe(3);
    expect((await auditOf('customer.blocked')).length).toBe(1);
    expect((await auditOf('customer.unblocked')).length).toBe(1);
  });

  it('lists a page at a time, filters by status and shows a lockout', async () => {
    await kit(['block', 'cust-2']);
    const guard = new LoginGuard(database.db, config, logger);
    for (let i = 0; i < config.lockout.threshold; i++) await guard.admit('192.0.2.1', 'ann@example.test'); // a wrong password's reserved attempt
    const page = await kit(['list', '--limit', '1', '--json']);
    expect(page.json()).toMatchObject({ customers: [{ id: 'cust-1', status: 'locked' }], next: 'cust-1' });
    const next = await kit(['list', '--limit', '1', '--after', 'cust-1', '--json']);
    expect(next.json()).toMatchObject({ customers: [{ id: 'cust-2', status: 'blocked' }], next: 'cust-2' });
    expect((await kit(['list', '--after', 'cust-2', '--json'])).json()).toEqual({ customers: [], next: null });
    expect((await kit(['list', '--status', 'blocked', '--json'])).json<{ customers: Array<{ id: string }> }>().customers.map((c) => c.id)).toEqual(['cust-2']);
    const text = await kit(['list']);
    expect(text.out.split('\n')[0]).toMatch(/^id +email +name +status +hasPassword +createdAt$/);
    expect(text.out).toMatch(/cust-1 +ann@example.test +Ann Example +locked +true/);
    expect((await kit(['list', '--status', 'gone'])).code).toBe(2);
    expect((await kit(['list', '--limit', '0'])).code).toBe(2);
  });

  it('unlocks a locked customer', async () => {
    const run = await kit(['unlock', 'cust-1']);
    expect([run.code, run.out]).toEqual([0, 'unlocked cust-1\n']);
    expect((await kit(['show', 'cust-1', '--json'])).json()).toMatchObject({ status: 'active' });
    expect((await kit(['unlock', 'cust-1', '--json'])).json()).toEqual({ id: 'cust-1', wasLocked: false });
    expect((await kit(['unlock', 'nobody'])).code).toBe(3);
    expect((await auditOf('customer.unlocked')).length).toBe(2);
  });

  it('sets a password only from stdin', async () => {
    expect((await kit(['set-password', 'cust-2'])).code).toBe(2);
    expect((await kit(['set-password', 'nobody', '--password-stdin'], 'a new password\n')).code).toBe(3);
    const run = await kit(['set-password', 'cust-2', '--password-stdin'], 'a new password\n');
    expect([run.code, run.out]).toEqual([0, 'password set for cust-2\n']);
    expect((await signIn('bob@example.test', 'a new password'))?.id).toBe('cust-2');
    expect((await auditOf('customer.password_set')).length).toBe(1);
  });

  it('imports a CSV: bad lines reported by number and reason, the rest added, a re-run adds nothing', async () => {
    const hash = await hashPassword('hashed password');
    const file = join(store.env.DATA_DIR, 'customers.csv');
    writeFileSync(
      file,
      [
        'id,email,name,password',
        'cust-10,ten@example.test,"Ten, the first",a long password',
        '',
        '# a comment',
        'cust-11,eleven@example.test,Eleven',
        'cust-12,not-an-email,Twelve',
        'cust-13,thirteen@example.test',
        'cust-14,fourteen@example.test,Fourteen,short',
        'cust-15,ann@example.test,Taken Email',
        'cust-16,"sixteen@example.test,Open quote',
        'cust-1,ann@example.test,Already Here',
      ].join('\n'),
    );
    const run = await kit(['import', file, '--json']);
    expect(run.code).toBe(1);
    expect(run.json()).toEqual({
      added: 2,
      skipped: 1,
      errors: [
        { line: 6, reason: 'email: Invalid email address' },
        { line: 7, reason: 'expected 3 or 4 fields (id,email,name[,password]), found 2' },
        { line: 8, reason: 'password must be at least 8 characters' },
        { line: 9, reason: 'email already belongs to another customer' },
        { line: 10, reason: 'unterminated quote' },
      ],
      error: '5 line(s) rejected, the others were imported',
      exitCode: 1,
    });
    expect((await signIn('ten@example.test', 'a long password'))?.claims.name).toBe('Ten, the first');
    expect((await kit(['show', 'cust-11', '--json'])).json()).toMatchObject({ hasPassword: false });

    const again = await kit(['import', file]);
    expect(again.code).toBe(1);
    expect(again.out.split('\n')[0]).toBe('added 0, skipped 3 already present');
    expect(again.out).toContain('line 6: email: Invalid email address\n');

    const hashes = join(store.env.DATA_DIR, 'hashes.csv');
    writeFileSync(hashes, `cust-20,twenty@example.test,Twenty,${hash}\r\n`);
    const clean = await kit(['import', hashes]);
    expect([clean.code, clean.out]).toEqual([0, 'added 1, skipped 0 already present\n']);
    expect((await signIn('twenty@example.test', 'hashed password'))?.id).toBe('cust-20');
    expect((await kit(['import', join(store.env.DATA_DIR, 'missing.csv')])).code).toBe(2);
    expect((await auditOf('customer.imported')).length).toBe(3);
  });

  it('deletes a customer (3 when unknown)', async () => {
    const run = await kit(['delete', 'cust-20']);
    expect([run.code, run.out]).toEqual([0, 'deleted cust-20: 0 grant(s) revoked, 0 session(s) ended\n']);
    expect((await kit(['show', 'cust-20'])).code).toBe(3);
    expect((await kit(['delete', 'cust-20'])).code).toBe(3);
    expect((await auditOf('customer.deleted')).length).toBe(1);
  });

  it('runs as `node scripts/kit.js customers list --json` in a child process', () => {
    const env: Record<string, string | undefined> = { ...process.env, ...store.env, NODE_ENV: 'test' };
    if (!store.env.DATABASE_URL) delete env.DATABASE_URL;
    const child = spawnSync(process.execPath, [KIT, 'customers', 'list', '--limit', '2', '--json'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout)).toMatchObject({ customers: [{ id: 'cust-1' }, { id: 'cust-10' }], next: 'cust-10' });
    const unknown = spawnSync(process.execPath, [KIT, 'customers', 'show', 'nobody'], { env, encoding: 'utf8', timeout: 60_000 });
    expect([unknown.status, unknown.stderr]).toEqual([3, 'pnpm kit customers show: no customer "nobody"\n']);
  });
});
