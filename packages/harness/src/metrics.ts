/** One sample of a Prometheus text exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the text format (version 0.0.4): samples only, comments skipped. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key!] = value!.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** A service's /metrics, scraped over HTTP, with the sum of the samples that match a name and labels. */
export class Scrape {
  private constructor(
    readonly samples: Sample[],
    /** Every metric family the exposition declares (# TYPE), sampled yet or not. */
    readonly families: Map<string, string>,
  ) {}

  static async from(metricsUrl: string): Promise<Scrape> {
    const res = await fetch(`${metricsUrl}/metrics`);
    if (res.status !== 200) throw new Error(`scrape ${metricsUrl}: HTTP ${res.status}`);
    if (!res.headers.get('content-type')?.startsWith('text/plain')) throw new Error(`scrape ${metricsUrl}: ${res.headers.get('content-type')}`);
    return Scrape.parse(await res.text());
  }

  /** An exposition already fetched: its samples and its declared families. */
  static parse(text: string): Scrape {
    const families = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!] as const));
    return new Scrape(parseExposition(text), families);
  }

  /** The sum of the samples named `name` whose labels include `labels` (0 when none). */
  sum(name: string, labels: Record<string, string> = {}): number {
    return this.matching(name, labels).reduce((total, s) => total + s.value, 0);
  }

  matching(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }

  /**
   * Whether the exposition declares the series `name` would select: a family of that name, or the
   * `_bucket`, `_sum` or `_count` series of a histogram (`_sum`, `_count` of a summary).
   */
  declares(name: string): boolean {
    if (this.families.has(name)) return true;
    const series = /^(.+)_(bucket|sum|count)$/.exec(name);
    const type = series ? this.families.get(series[1]!) : undefined;
    return type === 'histogram' || (type === 'summary' && series![2] !== 'bucket');
  }

  names(): Set<string> {
    return new Set(this.samples.map((s) => s.name));
  }
}
