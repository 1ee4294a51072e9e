// How long an ended consent takes to reach the API: poll one API instance with a token until it
// refuses it as the FDX API refuses a token of an ended consent (401, FDX code 602). Used by the
// connected-apps e2e test (which asserts the 5 s) and `pnpm bench revocation` (which prints it).

export interface RefusalPoll {
  /** Give up (throw) after this long since `from` (default 30 s). */
  deadlineMs?: number;
  /** Between two requests (default 10 ms). */
  intervalMs?: number;
}

/** Base URL of one API instance on its own port (plain HTTP, not through Caddy). */
export const instanceUrl = (port: number) => `http://127.0.0.1:${port}`;

/**
 * Polls `GET {api}/api/fdx/v6/accounts` with `accessToken` until it is refused; returns the
 * milliseconds since `from` (a `performance.now()` value). Throws when the refusal is anything but
 * 401 with FDX code 602 (a 401 for another reason would time the wrong thing), or at the deadline.
 */
export async function refusedAfter(api: string, accessToken: string, from: number, options: RefusalPoll = {}): Promise<number> {
  const deadline = options.deadlineMs ?? 30_000;
  for (;;) {
    const res = await fetch(`${api}/api/fdx/v6/accounts`, { headers: { authorization: `Bearer ${accessToken}` } });
    const elapsed = performance.now() - from;
    if (res.status === 401) {
      const body = (await res.json().catch(() => undefined)) as { code?: unknown } | undefined;
      if (body?.code !== 602) throw new Error(`${api} refused the token with 401 but FDX code ${String(body?.code)}, not 602`);
      return elapsed;
    }
    await res.body?.cancel();
    // 429: the client's or customer's API allowance (the poll is fast); ask again.
    if (res.status !== 200 && res.status !== 429) throw new Error(`${api} answered HTTP ${res.status} while the consent was ending`);
    if (elapsed > deadline) throw new Error(`${api} still serves a token of an ended consent after ${deadline} ms`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 10));
  }
}

/** The median of some timings. */
export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
