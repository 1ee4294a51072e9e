import autocannon from 'autocannon';
import { cpuSeconds } from './process.js';

export interface LoadOptions {
  durationSeconds: number;
  connections: number;
  headers?: Record<string, string>;
  /** Requests each connection cycles through (a `path` replaces the URL's), instead of GET on the URL. */
  requests?: autocannon.Request[];
  /** The serving process: its CPU time during the measured run is reported per request. */
  pid?: number | undefined;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Non-2xx answers, errors and timeouts: a benchmark with failures measures the wrong thing. */
  failures: number;
  /**
   * CPU time of the serving process per request (µs, all threads), when `pid` was given (Linux):
   * less sensitive than req/s to other load on a shared machine.
   */
  cpuMicros: number | null;
}

/** One bounded autocannon run against a loopback URL, after a short unmeasured warm-up (JIT, caches). */
export async function load(url: string, options: LoadOptions): Promise<LoadResult> {
  const { hostname } = new URL(url);
  if (hostname !== '127.0.0.1' && hostname !== 'localhost') throw new Error(`load is for loopback targets only, not ${hostname}`);
  const run = (duration: number) =>
    autocannon({ url, connections: options.connections, duration, headers: options.headers ?? {}, requests: options.requests });
  await run(Math.max(1, Math.min(3, Math.round(options.durationSeconds / 5))));
  const cpuBefore = cpuSeconds(options.pid);
  const result = await run(options.durationSeconds);
  const cpuAfter = cpuSeconds(options.pid);
  const cpuMicros =
    cpuBefore === undefined || cpuAfter === undefined || result.requests.total === 0
      ? null
      : Math.round(((cpuAfter - cpuBefore) * 1e6) / result.requests.total);
  return {
    cpuMicros,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}
