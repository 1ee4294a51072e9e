import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CliError, ExitCode, conflictError, notFoundError, operatorPath, readStdin, table, usageError, type CliIo, type Noun } from '@apps/shared';
import { z } from 'zod';
import { AuditLog, type AuditType } from '../audit/audit.js';
import { toCustomer } from '../customers/local/local-directory.js';
import { hashPassword } from '../customers/passwords.js';
import { CustomerStore, type CustomerRecord } from '../customers/store.js';
import { CustomerExists } from '../errors.js';
import { LoginGuard } from '../security/login-guard.js';
import { MIN_PASSWORD, customerEmail, customerId, customerName } from './customer-fields.js';
import { importCustomers, type ImportReport } from './customers-import.js';
import type { OperatorDeps } from './deps.js';
import { operatorEndings } from './consents.js';
import type { Consent } from '../consents/consent-store.js';


/** What every verb works with, over the operator's database connection. */
function tools(deps: OperatorDeps) {
  const guard = new LoginGuard(deps.database.db, deps.config, deps.logger);
  const audit = new AuditLog(deps.database.db, deps.logger);
  return {
    store: new CustomerStore(deps.database.db),
    guard,
    /** Queues one audit event (actor `cli`); written at the next audit() at the latest. */
    record(type: AuditType, detail: Record<string, unknown>) {
      void audit.record({ type, actor: 'cli', detail });
    },
    /** Writes one audit event (actor `cli`), with any queued before it, and waits until they are stored. */
    async audit(type: AuditType, detail: Record<string, unknown>) {
      void audit.record({ type, actor: 'cli', detail });
      await audit.flush();
    },
    async view(record: CustomerRecord) {
      const { status } = await toCustomer(record, (email) => guard.isLocked(email));
      return {
        id: record.id,
        email: record.email,
        name: record.name,
        emailVerified: record.emailVerified,
        status,
        hasPassword: record.hasPassword,
        createdAt: new Date(record.createdAt).toISOString(),
        updatedAt: new Date(record.updatedAt).toISOString(),
      };
    },
  };
}

type CustomerView = Awaited<ReturnType<ReturnType<typeof tools>['view']>>;

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw usageError(`${what}: ${result.error.issues[0]?.message ?? 'invalid'}`);
  return result.data;
}

/** A password from standard input (one trailing newline dropped), never from the command line. */
async function passwordFromStdin(io: CliIo): Promise<string> {
  const text = await (io.stdin ?? readStdin)();
  const password = text.replace(/\r?\n$/, '');
  if (password.length < MIN_PASSWORD) throw usageError(`the password on stdin must be at least ${MIN_PASSWORD} characters`);
  if (password.length > 1024) throw usageError('the password on stdin is longer than 1024 characters');
  return password;
}

async function existing(store: CustomerStore, id: string): Promise<CustomerRecord> {
  const record = await store.find(id);
  if (!record) throw notFoundError(`no customer ${JSON.stringify(id)}`);
  return record;
}

const LIST_COLUMNS = ['id', 'email', 'name', 'status', 'hasPassword', 'createdAt'] as const;

const showText = (c: CustomerView) =>
  [
    `id:             ${c.id}`,
    `email:          ${c.email ?? '(none)'}${c.email && !c.emailVerified ? ' (not verified)' : ''}`,
    `name:           ${c.name}`,
    `status:         ${c.status}`,
    `local password: ${c.hasPassword ? 'yes' : 'no'}`,
    `created:        ${c.createdAt}`,
    `updated:        ${c.updatedAt}`,
  ].join('\n');

/** `pnpm kit customers …`: the local customer store (who can sign in with a password at the OP). */
export const customers: Noun<OperatorDeps> = {
  summary: 'local customers: add, import, list, show, block, unblock, unlock, set-password, delete',
  verbs: {
    add: {
      summary: 'add a customer; the password comes from stdin, or one is generated and shown once',
      args: ['id'],
      options: {
        email: { type: 'string' },
        name: { type: 'string' },
        'password-stdin': { type: 'boolean', default: false },
        'email-unverified': { type: 'boolean', default: false },
      },
      optionHelp: {
        email: 'sign-in email (required)',
        name: 'display name (required)',
        'password-stdin': 'read the password from standard input (e.g. printf %s "$PW" | …)',
        'email-unverified': 'release email_verified=false',
      },
      async run({ args, options }, deps, io) {
        const id = parse(customerId, args.id, 'id');
        if (options.email === undefined) throw usageError('--email is required');
        if (options.name === undefined) throw usageError('--name is required');
        const email = parse(customerEmail, options.email, '--email');
        const name = parse(customerName, options.name, '--name');
        const generated = options['password-stdin'] === true ? undefined : randomBytes(18).toString('base64url');
        const password = generated ?? (await passwordFromStdin(io));
        const t = tools(deps);
        let record: CustomerRecord;
        try {
          record = await t.store.add({ id, email, name, emailVerified: options['email-unverified'] !== true, passwordHash: await hashPassword(password) });
        } catch (err) {
          if (err instanceof CustomerExists) throw conflictError(`a customer with this ${err.field} already exists`);
          throw err;
        }
        await t.audit('customer.added', { customerId: id });
        return { ...(await t.view(record)), ...(generated ? { password: generated } : {}) };
      },
      text: (c: CustomerView & { password?: string }) =>
        `added customer ${c.id} (${c.email})${c.password ? `\ninitial password (shown once, pass it on securely): ${c.password}` : ''}`,
    },

    import: {
      summary: 'add customers from a CSV file: id,email,name[,password_hash or password] (existing ids are skipped)',
      args: ['file'],
      async run({ args }, deps) {
        const path = operatorPath(args.file!);
        let text: string;
        try {
          text = await readFile(path, 'utf8');
        } catch (err) {
          throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, ExitCode.usage);
        }
        const t = tools(deps);
        const report = await importCustomers(text, t.store, (id, line) => t.record('customer.added', { customerId: id, via: 'import', line }));
        await t.audit('customer.imported', { file: path, added: report.added, skipped: report.skipped, rejected: report.errors.length });
        if (report.errors.length > 0) throw new CliError(`${report.errors.length} line(s) rejected, the others were imported`, ExitCode.failed, report);
        return report;
      },
      text: (r: ImportReport) =>
        [
          `added ${r.added}, skipped ${r.skipped} already present`,
          ...r.errors.map((e) => `line ${e.line}: ${e.reason}`),
        ].join('\n'),
    },

    list: {
      summary: 'list customers by id, a page at a time',
      options: {
        status: { type: 'string' },
        limit: { type: 'string', default: '50' },
        after: { type: 'string' },
      },
      optionHelp: {
        status: 'active or blocked (locked customers show as locked in the status column)',
        limit: 'customers per page, 1-1000 (default 50)',
        after: 'the last id of the previous page',
      },
      async run({ options }, deps) {
        const status = parse(z.enum(['active', 'blocked']).optional(), options.status, '--status');
        const limit = parse(z.coerce.number().int().min(1).max(1000), options.limit, '--limit');
        const after = typeof options.after === 'string' ? options.after : undefined;
        const t = tools(deps);
        const records = await t.store.list({ status, limit, after });
        const page = await Promise.all(records.map((r) => t.view(r)));
        return { customers: page, next: page.length === limit ? page.at(-1)!.id : null };
      },
      text: (r: { customers: CustomerView[]; next: string | null }) =>
        `${table(r.customers, LIST_COLUMNS)}${r.next ? `\n\nmore: --after ${r.next}` : ''}`,
    },

    show: {
      summary: 'show one customer',
      args: ['id'],
      async run({ args }, deps) {
        const t = tools(deps);
        return t.view(await existing(t.store, args.id!));
      },
      text: showText,
    },

    block: {
      summary: 'refuse sign-in and token refresh for a customer (their apps lose access at the next refresh)',
      args: ['id'],
      run: ({ args }, deps) => setBlocked(deps, args.id!, true),
      text: (r: { id: string; changed: boolean }) => (r.changed ? `blocked ${r.id}` : `${r.id} was already blocked`),
    },

    unblock: {
      summary: 'allow a blocked customer to sign in again',
      args: ['id'],
      run: ({ args }, deps) => setBlocked(deps, args.id!, false),
      text: (r: { id: string; changed: boolean }) => (r.changed ? `unblocked ${r.id}` : `${r.id} was not blocked`),
    },

    unlock: {
      summary: 'lift the lockout after too many failed passwords',
      args: ['id'],
      async run({ args }, deps) {
        const t = tools(deps);
        const record = await existing(t.store, args.id!);
        const wasLocked = record.email !== null && (await t.guard.isLocked(record.email));
        if (record.email !== null) await t.guard.unlock(record.email);
        await t.audit('customer.unlocked', { customerId: record.id, wasLocked });
        return { id: record.id, wasLocked };
      },
      text: (r: { id: string; wasLocked: boolean }) => (r.wasLocked ? `unlocked ${r.id}` : `${r.id} was not locked (failed attempts cleared)`),
    },

    'set-password': {
      summary: "set a customer's password, read from standard input",
      args: ['id'],
      options: { 'password-stdin': { type: 'boolean', default: false } },
      optionHelp: { 'password-stdin': 'read the password from standard input (required)' },
      async run({ args, options }, deps, io) {
        if (options['password-stdin'] !== true) throw usageError('--password-stdin is required (the password is never taken from the command line)');
        const t = tools(deps);
        const record = await existing(t.store, args.id!);
        await t.store.setPasswordHash(record.id, await hashPassword(await passwordFromStdin(io)));
        await t.audit('customer.password_set', { customerId: record.id });
        return { id: record.id };
      },
      text: (r: { id: string }) => `password set for ${r.id}`,
    },

    delete: {
      summary: 'delete a customer with their grants, tokens and sessions',
      args: ['id'],
      async run({ args }, deps) {
        const t = tools(deps);
        await existing(t.store, args.id!);
        // Their consents end first (by the operator): a feed change each, so the API refuses their tokens too.
        const consents = await endAllConsents(deps, args.id!, 'customer_deleted');
        const removed = await t.store.delete(args.id!);
        if (!removed) throw notFoundError(`no customer ${JSON.stringify(args.id)}`);
        // Each ended consent took its grant with it.
        const grantsRevoked = new Set([...consents.map((c) => c.grantId), ...removed.grants]).size;
        await t.audit('customer.deleted', { customerId: args.id!, grantsRevoked, sessionsEnded: removed.sessions, consentsEnded: consents.length });
        return { id: args.id!, grantsRevoked, sessionsEnded: removed.sessions, consentsEnded: consents.length };
      },
      text: (r: { id: string; grantsRevoked: number; sessionsEnded: number }) =>
        `deleted ${r.id}: ${r.grantsRevoked} grant(s) revoked, ${r.sessionsEnded} session(s) ended`,
    },
  },
};

async function setBlocked(deps: OperatorDeps, id: string, blocked: boolean) {
  const t = tools(deps);
  const record = await existing(t.store, id);
  const changed = record.blocked !== blocked;
  let consentsEnded = 0;
  if (changed) {
    await t.store.setBlocked(id, blocked);
    // A blocked customer's consents end (by the operator); unblocking brings none back.
    if (blocked) consentsEnded = (await endAllConsents(deps, id, 'customer_blocked')).length;
    await t.audit(blocked ? 'customer.blocked' : 'customer.unblocked', { customerId: id, ...(blocked ? { consentsEnded } : {}) });
  }
  return { id, blocked, changed, ...(blocked ? { consentsEnded } : {}) };
}

/** Ends every active consent of a customer as the operator; returns those it ended. */
async function endAllConsents(deps: OperatorDeps, customerId: string, reason: string): Promise<Consent[]> {
  const endings = operatorEndings(deps);
  const ended = await endings.endForCustomer(customerId, { status: 'REVOKED', by: 'operator', reason, initiator: 'cli' });
  await endings.flush();
  return ended;
}
