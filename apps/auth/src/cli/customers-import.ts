import type { z } from 'zod';
import { hashPassword } from '../customers/passwords.js';
import type { CustomerStore } from '../customers/store.js';
import { CustomerExists } from '../errors.js';
import { MIN_PASSWORD, customerEmail, customerId, customerName } from './customer-fields.js';

export interface ImportReport {
  added: number;
  /** Lines whose id is already in the store (a re-run of the same file adds nothing). */
  skipped: number;
  errors: Array<{ line: number; reason: string }>;
}

/** One CSV record (RFC 4180 quoting: "a, b" and "say ""hi"""); undefined when a quote is left open. */
export function splitCsvLine(line: string): string[] | undefined {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  if (quoted) return undefined;
  fields.push(field);
  return fields.map((f) => f.trim());
}

const ARGON2 = /^\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

type Secret = { kind: 'hash' | 'password'; value: string } | undefined;

/**
 * The fourth column: named by the header (`password_hash` or `password`), or without a header
 * a value that looks like an argon2 hash is a hash and anything else a password.
 */
function secretOf(value: string | undefined, column: 'password_hash' | 'password' | undefined): Secret | string {
  if (!value) return undefined;
  const kind = column === 'password_hash' || (column === undefined && value.startsWith('$argon2')) ? 'hash' : 'password';
  if (kind === 'hash' && !ARGON2.test(value)) return 'password_hash is not an argon2 hash';
  if (kind === 'password' && value.length < MIN_PASSWORD) return `password must be at least ${MIN_PASSWORD} characters`;
  return { kind, value };
}

const issue = (result: z.ZodSafeParseResult<unknown>, what: string) => (result.success ? undefined : `${what}: ${result.error.issues[0]?.message ?? 'invalid'}`);

/**
 * Adds the customers of a CSV text (`id,email,name[,password_hash|password]`, optional header
 * line, blank lines and `#` comments ignored) one by one: a bad line is reported with its number
 * and reason and the others are still added; ids already present are skipped, so a re-run is safe.
 */
export async function importCustomers(text: string, store: CustomerStore, onAdded: (id: string, line: number) => void): Promise<ImportReport> {
  const report: ImportReport = { added: 0, skipped: 0, errors: [] };
  let column: 'password_hash' | 'password' | undefined;
  let first = true;
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
    const fields = splitCsvLine(raw);
    const reject = (reason: string) => report.errors.push({ line, reason });
    if (!fields) {
      reject('unterminated quote');
      continue;
    }
    if (first) {
      first = false;
      if (fields[0]?.toLowerCase() === 'id') {
        const fourth = fields[3]?.toLowerCase();
        if (fields[1]?.toLowerCase() !== 'email' || fields[2]?.toLowerCase() !== 'name' || (fourth !== undefined && fourth !== 'password_hash' && fourth !== 'password')) {
          reject('header must be id,email,name[,password_hash|password]');
          return report;
        }
        column = fourth;
        continue;
      }
    }
    // An unquoted argon2 hash brings its own two commas (m=…,t=…,p=…).
    if (fields.length === 6 && fields[3]!.startsWith('$argon2')) fields.splice(3, 3, fields.slice(3).join(','));
    if (fields.length < 3 || fields.length > 4) {
      reject(`expected 3 or 4 fields (id,email,name[,password]), found ${fields.length}`);
      continue;
    }
    const [id, email, name, secretText] = fields as [string, string, string, string | undefined];
    const id_ = customerId.safeParse(id);
    const email_ = customerEmail.safeParse(email);
    const name_ = customerName.safeParse(name);
    const invalid = issue(id_, 'id') ?? issue(email_, 'email') ?? issue(name_, 'name');
    if (invalid || !id_.success || !email_.success || !name_.success) {
      reject(invalid ?? 'invalid');
      continue;
    }
    const secret = secretOf(secretText, column);
    if (typeof secret === 'string') {
      reject(secret);
      continue;
    }
    if (await store.find(id_.data)) {
      report.skipped++;
      continue;
    }
    try {
      const passwordHash = secret === undefined ? null : secret.kind === 'hash' ? secret.value : await hashPassword(secret.value);
      await store.add({ id: id_.data, email: email_.data, name: name_.data, passwordHash });
      report.added++;
      onAdded(id_.data, line);
    } catch (err) {
      if (!(err instanceof CustomerExists)) throw err;
      reject(err.field === 'email' ? 'email already belongs to another customer' : 'id already exists');
    }
  }
  return report;
}
