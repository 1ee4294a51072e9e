#!/usr/bin/env node
// `pnpm kit <noun> <verb> [arguments] [--json]`: the operator CLI. Each noun belongs to the
// service whose database it changes; the command runs in that service's folder so it reads
// the same .env (and so the same database) as the running service.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * noun → [service, summary, node flags?]; each service's `src/cli/program.ts` implements its nouns.
 * Node flags bound a command's memory where V8's default heap sizing would let it grow.
 */
const NOUNS = {
  customers: ['auth', "the OP's local customers (sign-in, block, lockout)"],
  clients: ['auth', 'OAuth clients: add, list, show, rotate-secret, set-limits, disable, enable, delete'],
  grants: ['auth', "customers' grants to clients: list, revoke"],
  consents: ['auth', "customers' consents to clients: list, show, revoke"],
  audit: ['auth', 'the security audit log: query, export (NDJSON), prune'],
  keys: ['auth', 'signing keys: generate, list, promote, retire'],
  data: ['api', 'FDX data: import JSON / NDJSON, row counts', ['--max-old-space-size=128', '--max-semi-space-size=4']],
  performance: ['api', 'the monthly performance disclosure: report'],
};

function help() {
  const width = Math.max(...Object.keys(NOUNS).map((n) => n.length));
  const lines = Object.entries(NOUNS).map(([noun, [service, summary]]) => `  ${noun.padEnd(width)}  ${summary} (${service})`);
  return `usage: pnpm kit <noun> <verb> [arguments] [--json]\n\nnouns:\n${lines.join('\n')}\n\npnpm kit <noun> --help lists a noun's verbs.\nSQLite under each service's DATA_DIR by default; PostgreSQL when its .env sets DATABASE_URL.\n`;
}

const argv = process.argv.slice(2);
const args = argv[0] === '--' ? argv.slice(1) : argv;
const noun = args[0];
if (noun === undefined || noun === '--help' || noun === '-h' || noun === 'help') {
  (noun === undefined ? process.stderr : process.stdout).write(help());
  process.exit(noun === undefined ? 2 : 0);
}
if (!Object.hasOwn(NOUNS, noun)) {
  process.stderr.write(`pnpm kit: unknown noun ${JSON.stringify(noun)}\n\n${help()}`);
  process.exit(2);
}

const [service, , nodeFlags = []] = NOUNS[noun];
const child = spawn(
  process.execPath,
  [...process.execArgv, ...nodeFlags, '--import', import.meta.resolve('tsx'), '--conditions=source', 'src/cli.ts', ...args],
  {
    cwd: join(ROOT, 'apps', service),
    // Paths on the command line are the user's, relative to where they ran `pnpm kit`.
    env: { ...process.env, KIT_CWD: process.env.INIT_CWD ?? process.cwd() },
    stdio: 'inherit',
  },
);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1);
});
