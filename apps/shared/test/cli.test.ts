import { describe, expect, it } from 'vitest';
import { CliError, ExitCode, notFoundError, runCli, table, type CliIo, type CliProgram } from '../src/cli.js';

interface Deps {
  items: Map<string, string>;
  opened: number;
  closed: number;
}

function program(state: Deps): CliProgram<Deps> {
  return {
    name: 'kit',
    open: async () => {
      state.opened++;
      return { ...state, close: async () => void state.closed++ };
    },
    nouns: {
      items: {
        summary: 'things in a map',
        verbs: {
          add: {
            summary: 'add an item',
            args: ['id', 'words...'],
            options: { upper: { type: 'boolean', default: false } },
            optionHelp: { upper: 'shout it' },
            run: async ({ args, rest, options }, deps) => {
              if (deps.items.has(args.id!)) throw new CliError(`item ${args.id} exists`, ExitCode.conflict);
              const text = rest.join(' ');
              deps.items.set(args.id!, options.upper ? text.toUpperCase() : text);
              return { id: args.id, text: deps.items.get(args.id!) };
            },
            text: (r: { id: string; text: string }) => `added ${r.id}: ${r.text}`,
          },
          show: {
            summary: 'show one item',
            args: ['id'],
            run: async ({ args }, deps) => {
              const text = deps.items.get(args.id!);
              if (text === undefined) throw notFoundError(`no item ${args.id}`);
              return { id: args.id, text };
            },
          },
          load: {
            summary: 'adds items from stdin, one per line; fails after a partial load',
            run: async (_input, deps, io) => {
              const lines = (await io.stdin!()).split('\n').filter(Boolean);
              for (const line of lines.filter((l) => !l.startsWith('!'))) deps.items.set(line, line);
              const bad = lines.filter((l) => l.startsWith('!')).length;
              const result = { loaded: lines.length - bad, bad };
              if (bad > 0) throw new CliError(`${bad} bad line(s)`, ExitCode.failed, result);
              return result;
            },
            text: (r: { loaded: number; bad: number }) => `loaded ${r.loaded}, ${r.bad} bad`,
          },
          boom: {
            summary: 'fails unexpectedly',
            run: async () => {
              throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
            },
          },
        },
      },
    },
  };
}

async function run(state: Deps, ...argv: string[]) {
  return runWithStdin(state, '', ...argv);
}

async function runWithStdin(state: Deps, stdin: string, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), isTty: false, stdin: async () => stdin };
  const code = await runCli(program(state), argv, io);
  return { code, out: out.join(''), err: err.join('') };
}

const fresh = (): Deps => ({ items: new Map(), opened: 0, closed: 0 });

describe('the operator CLI frame', () => {
  it('runs a verb with positionals, a variadic rest and options, and renders text or JSON', async () => {
    const state = fresh();
    const added = await run(state, 'items', 'add', 'a1', 'hello', 'world', '--upper');
    expect(added).toMatchObject({ code: 0, out: 'added a1: HELLO WORLD\n', err: '' });
    const shown = await run(state, 'items', 'show', 'a1', '--json');
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.out)).toEqual({ id: 'a1', text: 'HELLO WORLD' });
    expect(state.closed).toBe(state.opened);
  });

  it('prints help at every level on --help with exit 0, and usage on stderr with exit 2 when a level is missing', async () => {
    const state = fresh();
    const top = await run(state, '--help');
    expect(top.code).toBe(0);
    expect(top.out).toContain('items  things in a map');
    expect((await run(state)).code).toBe(ExitCode.usage);
    const noun = await run(state, 'items', '--help');
    expect(noun.out).toMatch(/add\s+add an item/);
    const missingVerb = await run(state, 'items');
    expect(missingVerb.code).toBe(ExitCode.usage);
    expect(missingVerb.err).toContain('verbs:');
    const verb = await run(state, 'items', 'add', '--help');
    expect(verb.code).toBe(0);
    expect(verb.out).toContain('usage: kit items add <id> <words>...');
    expect(verb.out).toContain('--upper  shout it');
    expect(state.opened).toBe(0);
  });

  it('refuses unknown nouns, verbs and options and missing or extra arguments with exit 2, before opening anything', async () => {
    const state = fresh();
    for (const argv of [['nope'], ['items', 'nope'], ['items', 'show'], ['items', 'show', 'a', 'b'], ['items', 'show', 'a', '--bogus'], ['items', 'add', 'a1']]) {
      const result = await run(state, ...argv);
      expect(result.code, argv.join(' ')).toBe(ExitCode.usage);
      expect(result.out).toBe('');
      expect(result.err.length).toBeGreaterThan(0);
    }
    expect(state.opened).toBe(0);
  });

  it('maps typed failures to their exit codes and unexpected ones to 1, with a message and never a stack', async () => {
    const state = fresh();
    await run(state, 'items', 'add', 'a1', 'x');
    expect(await run(state, 'items', 'add', 'a1', 'y')).toMatchObject({ code: ExitCode.conflict, err: 'kit items add: item a1 exists\n' });
    const missing = await run(state, 'items', 'show', 'zz', '--json');
    expect(missing.code).toBe(ExitCode.notFound);
    expect(JSON.parse(missing.out)).toEqual({ error: 'no item zz', exitCode: ExitCode.notFound });
    const boom = await run(state, 'items', 'boom');
    expect(boom.code).toBe(ExitCode.failed);
    expect(boom.err).toBe('kit items boom: failed: connect ECONNREFUSED 127.0.0.1:5432\n');
    expect(boom.err).not.toContain('    at ');
    expect(state.closed).toBe(state.opened);
  });

  it('gives commands stdin, and prints what a failing command did before its error (text and JSON)', async () => {
    expect(await runWithStdin(fresh(), 'a\nb\n', 'items', 'load')).toMatchObject({ code: 0, out: 'loaded 2, 0 bad\n' });
    const text = await runWithStdin(fresh(), 'a\n!x\n', 'items', 'load');
    expect(text).toEqual({ code: ExitCode.failed, out: 'loaded 1, 1 bad\n', err: 'kit items load: 1 bad line(s)\n' });
    const json = await runWithStdin(fresh(), 'a\n!x\n', 'items', 'load', '--json');
    expect(JSON.parse(json.out)).toEqual({ loaded: 1, bad: 1, error: '1 bad line(s)', exitCode: ExitCode.failed });
  });

  it('accepts the leading -- that pnpm passes on', async () => {
    expect((await run(fresh(), '--', 'items', 'add', 'a', 'b')).code).toBe(0);
  });

  it('renders aligned tables', () => {
    expect(table([{ id: 'a', n: 1 }, { id: 'bbb', n: null }], ['id', 'n'])).toBe('id   n\na    1\nbbb');
    expect(table([], ['id'])).toBe('(none)');
  });
});
