import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { ImportInputError } from '../errors.js';
import { jsonArrayElements } from './json-elements.js';

/** One value read from an input, with where it came from; `error` when the text was not JSON. */
export interface RawRecord {
  line: number;
  value?: unknown;
  error?: string;
}

/** Where records come from: a file (read again for `--strict`'s second pass) or a generated stream. */
export interface RecordSource {
  /** Shown in reports: the path as given, or a name for generated data. */
  name: string;
  /** Statement `document` paths are relative to this folder. */
  baseDir: string;
  /** Bytes in total, when known (for the ETA). */
  size: number | undefined;
  records(onBytes: (bytes: number) => void): AsyncIterable<RawRecord>;
}

/** A JSON file is parsed whole (in memory); anything larger must be NDJSON, which is streamed line by line. */
export const MAX_JSON_BYTES = 32 * 1024 * 1024;

const RECORD_FILE = /\.(json|ndjson|jsonl)$/i;

function parseJson(text: string, line: number): RawRecord {
  try {
    return { line, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { line, error: `invalid JSON (${(err as Error).message})` };
  }
}

export function ndjsonSource(path: string, name = path, size?: number): RecordSource {
  return {
    name,
    baseDir: dirname(path),
    size,
    async *records(onBytes) {
      const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
      let line = 0;
      for await (const text of lines) {
        line += 1;
        onBytes(text.length + 1);
        if (text.trim() === '') continue;
        yield parseJson(text, line);
      }
    },
  };
}

export function jsonSource(path: string, name = path, size?: number): RecordSource {
  return {
    name,
    baseDir: dirname(path),
    size,
    async *records(onBytes) {
      const text = await readFile(path, 'utf8');
      let done = 0;
      for (const element of jsonArrayElements(text, name)) {
        onBytes(element.end - done);
        done = element.end;
        yield parseJson(element.text, element.line);
      }
    },
  };
}

/** Generated records (the demo data), imported without a file in between. */
export function memorySource(name: string, values: Iterable<unknown> | AsyncIterable<unknown>, baseDir = process.cwd()): RecordSource {
  return {
    name,
    baseDir,
    size: undefined,
    async *records() {
      let line = 0;
      for await (const value of values) yield { line: ++line, value };
    },
  };
}

async function listRecordFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && RECORD_FILE.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort((a, b) => (relative(dir, a) < relative(dir, b) ? -1 : 1));
}

async function fileSource(path: string, name: string): Promise<RecordSource> {
  const { size } = await stat(path);
  if (extname(path).toLowerCase() !== '.json') return ndjsonSource(path, name, size);
  if (size > MAX_JSON_BYTES) {
    throw new ImportInputError(`${name} is ${Math.round(size / 1048576)} MB: JSON files over ${MAX_JSON_BYTES / 1048576} MB are not read whole; write it as NDJSON (one record per line, .ndjson)`);
  }
  return jsonSource(path, name, size);
}

/**
 * The inputs named on the command line, in order; a folder contributes its .json, .ndjson and
 * .jsonl files (recursively) sorted by path, so `01-customers.json` comes before `02-accounts.ndjson`.
 */
export async function openSources(paths: readonly { path: string; name: string }[]): Promise<RecordSource[]> {
  const sources: RecordSource[] = [];
  for (const { path, name } of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new ImportInputError(`${name}: no such file or folder`, 'missing');
    if (info.isDirectory()) {
      const files = await listRecordFiles(path);
      if (files.length === 0) throw new ImportInputError(`${name}: no .json, .ndjson or .jsonl file in this folder`, 'missing');
      for (const file of files) sources.push(await fileSource(file, join(name, relative(path, file))));
    } else {
      sources.push(await fileSource(path, name));
    }
  }
  return sources;
}
