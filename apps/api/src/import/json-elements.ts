import { ImportInputError } from '../errors.js';

export interface JsonElement {
  /** 1-based line of the element's first character. */
  line: number;
  text: string;
  /** Offset just past the element. */
  end: number;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/**
 * The elements of a JSON file's record array — the top-level array, or the array under the
 * top-level key `records` — as text with their line numbers, so each record is parsed and
 * reported on its own (a bad record names its line, the others still import). Only the
 * structure is scanned here; each element's own syntax is checked by JSON.parse.
 */
export function* jsonArrayElements(source: string, name: string): Generator<JsonElement> {
  let i = 0;
  let line = 1;
  const fail = (what: string): never => {
    throw new ImportInputError(`${name}: ${what} (line ${line})`);
  };
  const skipWhitespace = () => {
    while (i < source.length && WHITESPACE.has(source[i]!)) {
      if (source[i] === '\n') line++;
      i++;
    }
  };
  const skipString = () => {
    i++;
    while (i < source.length && source[i] !== '"') i += source[i] === '\\' ? 2 : 1;
    if (i >= source.length) fail('unterminated string');
    i++;
  };
  /** Moves past one value of any kind, counting lines. */
  const skipValue = () => {
    const c = source[i];
    if (c === '"') return skipString();
    if (c === '{' || c === '[') {
      let depth = 0;
      do {
        const d = source[i];
        if (d === '"') {
          skipString();
          continue;
        }
        if (d === '{' || d === '[') depth++;
        else if (d === '}' || d === ']') depth--;
        else if (d === '\n') line++;
        i++;
      } while (depth > 0 && i < source.length);
      if (depth > 0) fail('unexpected end of file');
      return;
    }
    while (i < source.length && !WHITESPACE.has(source[i]!) && !',]}'.includes(source[i]!)) i++;
  };

  skipWhitespace();
  if (source[i] === '{') {
    // { "records": [ ... ], ...other keys }: find the array, skipping the other members.
    i++;
    for (;;) {
      skipWhitespace();
      if (source[i] !== '"') fail('expected an array of records or an object with "records"');
      const keyStart = i;
      skipString();
      const key = JSON.parse(source.slice(keyStart, i)) as string;
      skipWhitespace();
      if (source[i] !== ':') fail('expected ":"');
      i++;
      skipWhitespace();
      if (key === 'records') break;
      skipValue();
      skipWhitespace();
      if (source[i] === ',') i++;
      else fail('no "records" array in this object');
    }
  }
  if (source[i] !== '[') fail('expected an array of records or an object with "records"');
  i++;
  for (;;) {
    skipWhitespace();
    if (source[i] === ']') return;
    if (i >= source.length) fail('unexpected end of file');
    const start = i;
    const startLine = line;
    skipValue();
    if (i === start) fail(`unexpected ${JSON.stringify(source[i])}`);
    yield { line: startLine, text: source.slice(start, i), end: i };
    skipWhitespace();
    if (source[i] === ',') i++;
    else if (source[i] !== ']') fail('expected "," or "]" between records');
  }
}
