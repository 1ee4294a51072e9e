import type { ImportProgress } from './importer.js';

/** How often the plain (not a terminal) form prints a line. */
const PLAIN_EVERY_MS = 10_000;
/** How often the terminal line is redrawn. */
const TTY_EVERY_MS = 200;

function line(p: ImportProgress): string {
  const seconds = p.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(p.records / seconds) : 0;
  let eta = '';
  if (p.totalBytes && p.bytes > 0 && p.bytes < p.totalBytes) {
    const left = ((p.totalBytes - p.bytes) / p.bytes) * seconds;
    eta = `, ${Math.round((p.bytes / p.totalBytes) * 100)} %, ETA ${left < 60 ? `${Math.ceil(left)} s` : `${Math.floor(left / 60)} min ${Math.ceil(left % 60)} s`}`;
  }
  return `${p.records.toLocaleString('en-US')} records (${p.rejected} rejected), ${rate.toLocaleString('en-US')}/s, ${seconds.toFixed(0)} s${eta}`;
}

/**
 * Progress of an import on stderr: one line redrawn in place (`\r`) with counts, rate and ETA
 * on a terminal; a plain line every 10 s when not (logs, CI). `done()` ends the terminal line.
 */
export function progressPrinter(write: (text: string) => void, isTty: boolean): { update: (p: ImportProgress) => void; done: () => void } {
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const every = isTty ? TTY_EVERY_MS : PLAIN_EVERY_MS;
      if (p.elapsedMs - last < every) return;
      last = p.elapsedMs;
      if (isTty) {
        write(`\r${line(p)}\u001b[K`);
        drawn = true;
      } else {
        write(`import: ${line(p)}\n`);
      }
    },
    done() {
      if (drawn) write('\r\u001b[K');
    },
  };
}
