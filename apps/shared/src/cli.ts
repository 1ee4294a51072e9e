import { resolve } from 'node:path';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

/**
 * The operator CLI's frame (`pnpm kit <noun> <verb> [args] [--options]`): each app declares its
 * nouns and verbs as data, this module parses, prints help at every level, renders results
 * as text or `--json`, and turns errors into messages with stable exit codes. It never prints
 * a stack trace.
 */

/** Exit codes every command shares. */
export const ExitCode = {
  ok: 0,
  /** The command ran and failed (database unreachable, a write refused by the store…). */
  failed: 1,
  /** Bad usage: unknown noun, verb or option, a missing or malformed argument. */
  usage: 2,
  /** What the command names does not exist. */
  notFound: 3,
  /** The command is refused in the current state (already exists, not yet safe…). */
  conflict: 4,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error a command throws on purpose: its message is shown, its code is the exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.failed,
    /** What the command did before failing (e.g. an import's counts and bad lines), printed like a result. */
    readonly result?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, ExitCode.usage);
export const notFoundError = (message: string) => new CliError(message, ExitCode.notFound);
export const conflictError = (message: string) => new CliError(message, ExitCode.conflict);

export interface ParsedCommand {
  /** Positional arguments, in the order of `Command.args`. */
  args: Record<string, string>;
  /** Extra positionals when the last argument is variadic (`name...`). */
  rest: string[];
  options: Record<string, string | boolean | string[] | undefined>;
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stdout is a terminal (progress lines only there). */
  isTty: boolean;
  /** All of standard input (secrets passed with `--…-stdin`, never on the command line). */
  stdin?: () => Promise<string>;
}

/** Reads standard input to its end. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export interface Command<Deps> {
  summary: string;
  /** Positional argument names; a trailing `...` collects the rest. */
  args?: readonly string[];
  /** Optional positionals may be left out; every name in `args` not listed here is required. */
  optionalArgs?: readonly string[];
  options?: ParseArgsOptionsConfig;
  /** Help text for each option, by name. */
  optionHelp?: Readonly<Record<string, string>>;
  run(input: ParsedCommand, deps: Deps, io: CliIo): Promise<unknown>;
  /** Human-readable rendering of what `run` returned (default: JSON). */
  text?: (result: never) => string;
}

export interface Noun<Deps> {
  summary: string;
  verbs: Readonly<Record<string, Command<Deps>>>;
}

export interface CliProgram<Deps> {
  /** How the user calls it, for help texts (e.g. `pnpm kit`). */
  name: string;
  nouns: Readonly<Record<string, Noun<Deps>>>;
  /** Opens what commands need (a database…); called only once a command is about to run. */
  open(): Promise<Deps & { close(): Promise<void> }>;
}

const GLOBAL_OPTIONS: ParseArgsOptionsConfig = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
};

function programHelp<D>(program: CliProgram<D>): string {
  const width = Math.max(...Object.keys(program.nouns).map((n) => n.length));
  const lines = Object.entries(program.nouns).map(([name, noun]) => `  ${name.padEnd(width)}  ${noun.summary}`);
  return `usage: ${program.name} <noun> <verb> [arguments] [--json]\n\nnouns:\n${lines.join('\n')}\n\n${program.name} <noun> --help lists a noun's verbs.\n`;
}

function nounHelp<D>(program: CliProgram<D>, nounName: string, noun: Noun<D>): string {
  const width = Math.max(...Object.keys(noun.verbs).map((v) => v.length));
  const lines = Object.entries(noun.verbs).map(([name, verb]) => `  ${name.padEnd(width)}  ${verb.summary}`);
  return `usage: ${program.name} ${nounName} <verb> [arguments] [--json]\n\n${noun.summary}\n\nverbs:\n${lines.join('\n')}\n`;
}

function argLabel(name: string, optional: boolean): string {
  const label = `<${name.replace(/\.\.\.$/, '')}>${name.endsWith('...') ? '...' : ''}`;
  return optional ? `[${label}]` : label;
}

function verbHelp<D>(program: CliProgram<D>, nounName: string, verbName: string, verb: Command<D>): string {
  const args = (verb.args ?? []).map((a) => argLabel(a, verb.optionalArgs?.includes(a) ?? false)).join(' ');
  const options = Object.entries(verb.options ?? {}).map(([name, spec]) => {
    const value = spec.type === 'string' ? ` <${name}>` : '';
    return `  --${name}${value}${spec.multiple ? ' (repeatable)' : ''}  ${verb.optionHelp?.[name] ?? ''}`.trimEnd();
  });
  options.push('  --json  print the result as JSON');
  return `usage: ${program.name} ${nounName} ${verbName}${args ? ` ${args}` : ''} [options]\n\n${verb.summary}\n\noptions:\n${options.join('\n')}\n`;
}

function parseCommand<D>(verb: Command<D>, argv: string[]): ParsedCommand & { json: boolean; help: boolean } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...verb.options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError((err as Error).message);
  }
  const { json, help, ...options } = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const names = verb.args ?? [];
  const variadic = names.at(-1)?.endsWith('...') ?? false;
  const fixed = variadic ? names.slice(0, -1) : names;
  const positionals = parsed.positionals;
  const args: Record<string, string> = {};
  fixed.forEach((name, i) => {
    const value = positionals[i];
    if (value !== undefined) args[name] = value;
  });
  const rest = positionals.slice(fixed.length);
  if (!help) {
    const missing = names.filter((n) => !(verb.optionalArgs?.includes(n) ?? false)).filter((n) => (n.endsWith('...') ? rest.length === 0 : args[n] === undefined));
    if (missing.length > 0) throw usageError(`missing ${missing.map((m) => argLabel(m, false)).join(' ')}`);
    if (!variadic && rest.length > 0) throw usageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  }
  return { args, rest, options, json: json === true, help: help === true };
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTty: process.stdout.isTTY === true,
  stdin: readStdin,
};

function render(result: unknown, json: boolean, text: ((r: never) => string) | undefined): string {
  if (result === undefined) return '';
  if (json || !text) return `${JSON.stringify(result, null, 2)}\n`;
  const out = text(result as never);
  return out.endsWith('\n') || out === '' ? out : `${out}\n`;
}

/** Runs one invocation; returns the exit code (the caller sets process.exitCode). */
export async function runCli<D>(program: CliProgram<D>, argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const [nounName, verbName, ...rest] = argv[0] === '--' ? argv.slice(1) : argv;
  if (nounName === undefined || nounName === '--help' || nounName === '-h' || nounName === 'help') {
    (nounName === undefined ? io.stderr : io.stdout)(programHelp(program));
    return nounName === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const noun = Object.hasOwn(program.nouns, nounName) ? program.nouns[nounName] : undefined;
  if (!noun) {
    io.stderr(`${program.name}: unknown noun ${JSON.stringify(nounName)}\n\n${programHelp(program)}`);
    return ExitCode.usage;
  }
  if (verbName === undefined || verbName === '--help' || verbName === '-h' || verbName === 'help') {
    (verbName === undefined ? io.stderr : io.stdout)(nounHelp(program, nounName, noun));
    return verbName === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const verb = Object.hasOwn(noun.verbs, verbName) ? noun.verbs[verbName] : undefined;
  if (!verb) {
    io.stderr(`${program.name} ${nounName}: unknown verb ${JSON.stringify(verbName)}\n\n${nounHelp(program, nounName, noun)}`);
    return ExitCode.usage;
  }
  let input;
  try {
    input = parseCommand(verb, rest);
  } catch (err) {
    io.stderr(`${program.name} ${nounName} ${verbName}: ${(err as Error).message}\n\n${verbHelp(program, nounName, verbName, verb)}`);
    return ExitCode.usage;
  }
  if (input.help) {
    io.stdout(verbHelp(program, nounName, verbName, verb));
    return ExitCode.ok;
  }
  let deps: (D & { close(): Promise<void> }) | undefined;
  try {
    deps = await program.open();
    const result = await verb.run(input, deps, io);
    io.stdout(render(result, input.json, verb.text));
    return ExitCode.ok;
  } catch (err) {
    const code = err instanceof CliError ? err.exitCode : ExitCode.failed;
    const message = err instanceof CliError ? err.message : `failed: ${describe(err)}`;
    const partial = err instanceof CliError ? err.result : undefined;
    if (input.json) {
      const body = partial !== null && typeof partial === 'object' ? { ...partial, error: message, exitCode: code } : { error: message, exitCode: code };
      io.stdout(`${JSON.stringify(body, null, partial === undefined ? undefined : 2)}\n`);
    } else if (partial !== undefined) {
      io.stdout(render(partial, false, verb.text));
    }
    io.stderr(`${program.name} ${nounName} ${verbName}: ${message}\n`);
    return code;
  } finally {
    await deps?.close().catch(() => {});
  }
}

/** A one-line reason for an unexpected failure: the error's message and code, never its stack. */
function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

/** Renders rows as an aligned text table (the default text of list commands). */
export function table(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  if (rows.length === 0) return '(none)';
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    if (v instanceof Date) return v.toISOString();
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return v.toString();
    return JSON.stringify(v) ?? '';
  };
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line([...columns]), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

/**
 * A path the operator typed, relative to where they ran `pnpm kit` (KIT_CWD, set by
 * scripts/kit.js), not to the service folder the command runs in.
 */
export function operatorPath(path: string, env: Record<string, string | undefined> = process.env): string {
  return resolve(env.KIT_CWD ?? process.cwd(), path);
}
