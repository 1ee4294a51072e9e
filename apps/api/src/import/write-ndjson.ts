import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** Writes records as NDJSON (one per line), streamed: what `pnpm kit data import` reads back. Returns the count. */
export async function writeNdjson(path: string, records: Iterable<unknown> | AsyncIterable<unknown>): Promise<number> {
  const out = createWriteStream(path, { encoding: 'utf8' });
  let count = 0;
  let chunk = '';
  try {
    for await (const record of records) {
      chunk += `${JSON.stringify(record)}\n`;
      count++;
      if (chunk.length >= 1 << 16) {
        if (!out.write(chunk)) await once(out, 'drain');
        chunk = '';
      }
    }
    out.end(chunk);
    await once(out, 'finish');
  } catch (err) {
    out.destroy();
    throw err;
  }
  return count;
}
