import autocannon from 'autocannon';

export interface LoadOptions {
  durationSeconds: number;
  connections: number;
  headers?: Record<string, string>;
  /** Requests each connection cycles through (a `path` replaces the URL's), instead of GET on the URL. */
  requests?: autocannon.Request[];
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Non-2xx answers, errors and timeouts: a benchmark with failures measures the wrong thing. */
  failures: number;
}

/** One bounded autocannon run against a loopback URL, after a short unmeasured warm-up (JIT, caches). */
export async function load(url: string, options: LoadOptions): Promise<LoadResult> {
  const { hostname } = new URL(url);
  if (hostname !== '127.0.0.1' && hostname !== 'localhost') throw new Error(`load is for loopback targets only, not ${hostname}`);
  const run = (duration: number) =>
    autocannon({ url, connections: options.connections, duration, headers: options.headers ?? {}, requests: options.requests });
  await run(Math.max(1, Math.min(3, Math.round(options.durationSeconds / 5))));
  const result = await run(options.durationSeconds);
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}
