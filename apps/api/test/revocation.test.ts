import { createLogger } from '@apps/shared';
import { startOpConsents, type OpConsentsStandIn } from '@kit/harness/op-consents';
import { createTempDatabase, type TempDatabase } from '@kit/harness/postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOpClient } from '../src/consent/op-client.js';
import { ConsentRevocations } from '../src/consent/revocations.js';
import { startApi, TEST_INTERNAL_SECRET, type TestApi } from './support.js';

/** Polls `check` until it holds or `ms` pass; returns how long it took. */
async function within(ms: number, check: () => Promise<boolean>, what: string): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await check()) return performance.now() - start;
    if (performance.now() - start > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const FAST = { CONSENT_FEED_INTERVAL_MS: '100' };
const refused = async (api: TestApi, token: string) => (await api.get('/accounts', token)).status === 401;
const warnings = (lines: string[], text: string) =>
  lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40 && l.msg.includes(text));

describe('revoked consents, fed by an OP stand-in serving the contract feed', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ env: FAST });
  });
  afterAll(() => api.close());

  it('refuses the tokens of a revoked consent with 401, FDX 602 and an invalid_token challenge, even a remembered token', async () => {
    const token = await api.token({ consentId: 'consent-revoked-1' });
    const other = await api.token({ consentId: 'consent-active-1' });
    // Verified once, so the verified-token memo holds it: the ended check must still apply.
    expect((await api.get('/accounts', token)).status).toBe(200);
    api.op.end('consent-revoked-1');
    await within(2000, () => refused(api, token), 'revocation reaches the API');
    for (const path of ['/accounts', '/customers/current', '/accounts/acc-10001-checking/transactions']) {
      const res = await api.get(path, token);
      expect(res.status, path).toBe(401);
      expect(await res.json()).toEqual({ code: 602, message: 'Customer not authorized', debugMessage: expect.stringContaining('consent') });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", error_description="the consent behind the token has ended", resource_metadata="/);
    }
    expect((await api.get('/accounts', other)).status).toBe(200);
    // A token from before consents (no fdxConsentId) cannot be checked and keeps its legacy behaviour.
    expect((await api.get('/accounts', await api.token())).status).toBe(200);
  });

  it('refuses an expired consent the same way', async () => {
    const token = await api.token({ consentId: 'consent-expired-1' });
    expect((await api.get('/accounts', token)).status).toBe(200);
    api.op.end('consent-expired-1', 'EXPIRED');
    await within(2000, () => refused(api, token), 'expiry reaches the API');
  });

  it('is ready once the feed has been read', async () => {
    expect((await api.get(`${api.url}/public/ready`, null)).status).toBe(200);
  });
});

describe('two API instances on one PostgreSQL database (the scale topology), one OP stand-in', () => {
  let temp: TempDatabase;
  let op: OpConsentsStandIn;
  let a: TestApi;
  let b: TestApi;
  beforeAll(async () => {
    temp = await createTempDatabase('api_revoke');
    op = await startOpConsents({ secret: TEST_INTERNAL_SECRET });
    // The default poll interval (CONSENT_FEED_INTERVAL_MS=1000).
    a = await startApi({ databaseUrl: temp.url, op });
    b = await startApi({ databaseUrl: temp.url, op, seeded: false });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await op.close();
    await temp.drop();
  });

  it('both refuse a revoked consent within the poll interval and a request', async () => {
    const onA = await a.token({ consentId: 'consent-scale-1' });
    const onB = await b.token({ consentId: 'consent-scale-1' });
    expect((await a.get('/accounts', onA)).status).toBe(200);
    expect((await b.get('/accounts', onB)).status).toBe(200);
    op.end('consent-scale-1');
    const [tA, tB] = await Promise.all([
      within(5000, () => refused(a, onA), 'instance A refuses'),
      within(5000, () => refused(b, onB), 'instance B refuses'),
    ]);
    console.log(`revocation → refused: instance A ${Math.round(tA)} ms, instance B ${Math.round(tB)} ms (CONSENT_FEED_INTERVAL_MS=1000)`);
    // Interval + one poll + one request, with room for a loaded machine.
    expect(Math.max(tA, tB)).toBeLessThan(2500);
  });
});

describe('while the OP is down', () => {
  let api: TestApi | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('is not ready before the first read of the feed, and serves no token naming a consent until then', async () => {
    const op = await startOpConsents({ secret: TEST_INTERNAL_SECRET });
    await op.down();
    try {
      api = await startApi({ env: FAST, op, unready: true });
      expect((await api.get(`${api.url}/public/ready`, null)).status).toBe(503);
      const res = await api.get('/accounts', await api.token({ consentId: 'consent-1' }));
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ code: 501 });
      expect(res.headers.get('retry-after')).toBeTruthy();
      // Tokens without a consent could not be revoked through it anyway.
      expect((await api.get('/accounts', await api.token())).status).toBe(200);
      await op.up();
      await within(5000, async () => (await api!.get(`${api!.url}/public/ready`, null)).status === 200, 'ready once the OP is back');
      expect((await api.get('/accounts', await api.token({ consentId: 'consent-1' }))).status).toBe(200);
    } finally {
      await op.close();
    }
  });

  it('keeps its ended consents and serves valid tokens, logs the outage once, backs off, and catches up when the OP is back', async () => {
    const lines: string[] = [];
    const op = await startOpConsents({ secret: TEST_INTERNAL_SECRET });
    try {
      api = await startApi({ env: FAST, op, logLines: lines });
      const revoked = await api.token({ consentId: 'consent-before' });
      const valid = await api.token({ consentId: 'consent-valid' });
      const during = await api.token({ consentId: 'consent-during' });
      op.end('consent-before');
      await within(2000, () => refused(api!, revoked), 'revocation before the outage');

      op.failWith = 503;
      const before = op.feedRequests;
      await new Promise((r) => setTimeout(r, 1600));
      // 100 ms interval without backoff would be ~16 polls; doubling from 100 ms gives about 4.
      expect(op.feedRequests - before).toBeLessThanOrEqual(6);
      expect(op.feedRequests - before).toBeGreaterThanOrEqual(2);
      await op.down();
      await new Promise((r) => setTimeout(r, 300));
      expect((await api.get('/accounts', valid)).status).toBe(200);
      expect((await api.get('/accounts', revoked)).status).toBe(401);
      expect((await api.get(`${api.url}/public/ready`, null)).status).toBe(200);
      // An operator revocation written to the OP's database during the outage…
      op.end('consent-during');
      expect((await api.get('/accounts', during)).status).toBe(200);
      expect(warnings(lines, 'consent feed is unavailable')).toHaveLength(1);

      op.failWith = undefined;
      await op.up();
      // …applies once the OP answers again (backoff is capped at 30 s; here it is still short).
      await within(10_000, () => refused(api!, during), 'revocation made during the outage');
      const back = lines.map((l) => JSON.parse(l) as { msg: string }).filter((l) => l.msg.includes('reachable again'));
      expect(back).toHaveLength(1);
      expect(warnings(lines, 'consent feed is unavailable')).toHaveLength(1);
      expect(lines.join('\n')).not.toContain(TEST_INTERNAL_SECRET);
    } finally {
      await op.close();
    }
  });
});

describe('the ended-consents set (ConsentRevocations) against the stand-in feed', () => {
  let op: OpConsentsStandIn;
  beforeAll(async () => {
    op = await startOpConsents({ secret: TEST_INTERNAL_SECRET });
  });
  afterAll(() => op.close());

  const revocations = (options: { retentionMs?: number; now?: () => number; secret?: string; feed?: OpConsentsStandIn } = {}) =>
    new ConsentRevocations({
      op: createOpClient({ baseUrl: (options.feed ?? op).url, secret: options.secret ?? TEST_INTERNAL_SECRET }),
      intervalMs: 100,
      retentionMs: options.retentionMs ?? 3600_000,
      logger: createLogger({ name: 'api', level: 'silent' }),
      now: options.now,
    });

  it('reads the whole backlog in one poll, page after page, then only what follows', async () => {
    const set = revocations();
    await set.poll();
    const first = op.feedRequests;
    for (let i = 0; i < 2500; i++) op.end(`bulk-${i}`);
    await set.poll();
    expect(op.feedRequests - first).toBe(3);
    expect(set.has('bulk-0') && set.has('bulk-1999') && set.has('bulk-2499')).toBe(true);
    await set.poll();
    expect(op.feedRequests - first).toBe(4);
  });

  it('is loaded only once a first read has gone through the whole backlog', async () => {
    const backlog = await startOpConsents({ secret: TEST_INTERNAL_SECRET });
    try {
      for (let i = 0; i < 2100; i++) backlog.end(`backlog-${i}`);
      const set = revocations({ feed: backlog });
      await set.poll();
      expect(backlog.feedRequests).toBe(3);
      expect(set.loaded).toBe(true);
      expect(set.size).toBe(2100);
    } finally {
      await backlog.close();
    }
  });

  it('takes the still-relevant changes on its first read, and nothing older', async () => {
    const fresh = await startOpConsents({ secret: TEST_INTERNAL_SECRET });
    try {
      fresh.end('old-consent', 'REVOKED', new Date(Date.now() - 3 * 3600_000));
      fresh.end('recent-consent', 'REVOKED', new Date(Date.now() - 60_000));
      const set = revocations({ feed: fresh });
      await set.poll();
      expect(set.loaded).toBe(true);
      expect(set.has('recent-consent')).toBe(true);
      expect(set.has('old-consent')).toBe(false);
    } finally {
      await fresh.close();
    }
  });

  it('forgets a consent once every token of it has expired (longest token lifetime + clock tolerance)', async () => {
    let now = Date.now();
    const set = revocations({ retentionMs: 60_000, now: () => now });
    await set.poll();
    op.end('pruned-consent');
    await set.poll();
    expect(set.has('pruned-consent')).toBe(true);
    now += 59_000;
    await set.poll();
    expect(set.has('pruned-consent')).toBe(true);
    now += 2000;
    await set.poll();
    expect(set.has('pruned-consent')).toBe(false);
  });

  it('sends INTERNAL_SECRET, and loads nothing from a feed that refuses it', async () => {
    const set = revocations({ secret: 'not-the-secret-0123456789-abcdefghijklmnop' });
    await expect(set.poll()).rejects.toThrow(/401/);
    expect(set.loaded).toBe(false);
  });
});
