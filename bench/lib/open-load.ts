// An open-model load: requests leave at a fixed arrival rate whatever the server's answers do,
// as independent clients would send them (unlike autocannon's closed loop, where a slow answer
// holds back the next request and hides the queue it causes). Latency is taken from the moment a
// request was due, not the moment it left, so a generator falling behind shows up in the figures
// instead of hiding (coordinated omission).
import { Agent, request } from 'node:http';

export interface OpenRequest {
  method: 'GET' | 'POST';
  /** Path and query on the target. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface OpenLoadOptions {
  /** Loopback base URL, e.g. http://127.0.0.1:3003 */
  url: string;
  /** Requests per second, spaced evenly. */
  rate: number;
  durationSeconds: number;
  /** The next request to send (called once per arrival, e.g. to take a refresh token from a pool). */
  next(): OpenRequest;
  /** Each answer's status and body (e.g. to put a rotated refresh token back). */
  onResponse?(status: number, body: string): void;
  /** Unmeasured arrivals at the same rate first (JIT, caches, connections), in seconds. */
  warmupSeconds?: number;
}

export interface OpenLoadResult {
  /** Requests sent in the measured window. */
  sent: number;
  /** Answered 2xx. */
  ok: number;
  /** Non-2xx answers and connection errors. */
  failures: number;
  /** Rate actually achieved (sent ÷ seconds). */
  achievedRate: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** The nearest-rank percentile (0 < p ≤ 100) of ascending values; NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p} is not in (0, 100]`);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
}

/** When each of `count` arrivals at `rate` per second is due, in ms after the start. */
export function arrivalOffsets(rate: number, count: number): number[] {
  if (!(rate > 0)) throw new RangeError('rate must be positive');
  return Array.from({ length: count }, (_, i) => (i * 1000) / rate);
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** Runs the load (warm-up, then the measured window) and reports latency percentiles in ms. */
export async function openLoad(options: OpenLoadOptions): Promise<OpenLoadResult> {
  const target = new URL(options.url);
  if (target.hostname !== '127.0.0.1' && target.hostname !== 'localhost') throw new Error(`open load is for loopback targets only, not ${target.hostname}`);
  // Enough sockets that the generator never queues requests itself: a slow server builds up connections instead.
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  try {
    if (options.warmupSeconds) await window(options, agent, target, options.warmupSeconds);
    const latencies = await window(options, agent, target, options.durationSeconds);
    const ok = latencies.filter((l) => l.ok).map((l) => l.ms).sort((a, b) => a - b);
    return {
      sent: latencies.length,
      ok: ok.length,
      failures: latencies.length - ok.length,
      achievedRate: Math.round(latencies.length / options.durationSeconds),
      p50: round(percentile(ok, 50)),
      p90: round(percentile(ok, 90)),
      p99: round(percentile(ok, 99)),
      max: round(ok.at(-1) ?? Number.NaN),
    };
  } finally {
    agent.destroy();
  }
}

/** Sends arrivals at the rate for `seconds`; resolves with every request's latency once all answered. */
async function window(options: OpenLoadOptions, agent: Agent, target: URL, seconds: number): Promise<Array<{ ms: number; ok: boolean }>> {
  const count = Math.round(options.rate * seconds);
  const due = arrivalOffsets(options.rate, count);
  const answers: Array<Promise<{ ms: number; ok: boolean }>> = [];
  const start = performance.now();
  let sent = 0;
  while (sent < count) {
    const elapsed = performance.now() - start;
    while (sent < count && due[sent]! <= elapsed) answers.push(send(options, agent, target, start + due[sent++]!));
    // Timers fire at best every millisecond: arrivals due in between leave together, latency still counts from when each was due.
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return Promise.all(answers);
}

function send(options: OpenLoadOptions, agent: Agent, target: URL, dueAt: number): Promise<{ ms: number; ok: boolean }> {
  const { method, path, headers = {}, body } = options.next();
  return new Promise((resolve) => {
    const req = request(
      { agent, host: target.hostname, port: target.port, method, path, headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          options.onResponse?.(status, Buffer.concat(chunks).toString('utf8'));
          resolve({ ms: performance.now() - dueAt, ok: status >= 200 && status < 300 });
        });
        res.on('error', () => resolve({ ms: performance.now() - dueAt, ok: false }));
      },
    );
    req.on('error', () => resolve({ ms: performance.now() - dueAt, ok: false }));
    req.end(body);
  });
}
