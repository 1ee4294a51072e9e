import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { openAuthDatabase } from '../src/db/open.js';
import type { AuthDatabase } from '../src/db/schema.js';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';
import { json, kitFor, type KitResult } from './helpers/kit.js';

const DAY = 86_400_000;
const TYPES = ['login.success', 'login.failure', 'token.issued'] as const;

interface Event {
  id: string;
  at: string;
  type: string;
  actor: string | null;
  clientId: string | null;
  detail: Record<string, unknown> | null;
}

describe.each(ENGINES)('pnpm kit audit on %s', (engine) => {
  let store: TestStore;
  let auth: TestAuth;
  let database: AuthDatabase;
  let kit: (...argv: string[]) => Promise<KitResult>;
  const now = Date.now();

  beforeAll(async () => {
    store = await createTestStore(engine);
    // The running OP prunes too: keep 200 days (more than the events below span), sweep every second.
    auth = await startTestAuth(store, { AUDIT_RETENTION_DAYS: '200', SWEEP_INTERVAL: '1' });
    kit = kitFor(auth.config);
    database = await openAuthDatabase(store.config);
    // 2,500 events, one an hour back from now (about 104 days), over three types and two clients.
    const rows = Array.from({ length: 2500 }, (_, i) => ({
      id: `evt-${String(i).padStart(5, '0')}`,
      at: now - i * 3_600_000,
      type: TYPES[i % 3]!,
      actor: `cust-${i % 5}`,
      client_id: i % 2 === 0 ? 'even-client' : 'odd-client',
      ip: '127.0.0.1',
      detail: JSON.stringify({ n: i }),
    }));
    for (let i = 0; i < rows.length; i += 100) await database.db.insertInto('audit_events').values(rows.slice(i, i + 100)).execute();
  });
  afterAll(async () => {
    await database?.close();
    await auth?.close();
    await store?.cleanup();
  });

  it('queries by type, actor, client and time range, newest first', async () => {
    const res = await kit('audit', 'query', '--type', 'login.failure', '--actor', 'cust-1', '--client', 'odd-client', '--since', '10d', '--json');
    expect(res.code).toBe(0);
    const events = json<Event[]>(res);
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) {
      expect(e).toMatchObject({ type: 'login.failure', actor: 'cust-1', clientId: 'odd-client' });
      expect(Date.parse(e.at)).toBeGreaterThanOrEqual(now - 10 * DAY - 60_000);
    }
    const ats = events.map((e) => Date.parse(e.at));
    expect(ats).toEqual([...ats].sort((a, b) => b - a));

    const window = json<Event[]>(await kit('audit', 'query', '--since', new Date(now - 2 * DAY).toISOString(), '--until', new Date(now - DAY).toISOString(), '--limit', '1000', '--json'));
    // since inclusive, until exclusive: hours 25..48 back.
    expect(window.map((e) => e.id)).toEqual(Array.from({ length: 24 }, (_, i) => `evt-${String(25 + i).padStart(5, '0')}`));
    expect(json<Event[]>(await kit('audit', 'query', '--limit', '3', '--json')).map((e) => e.id)).toEqual(['evt-00000', 'evt-00001', 'evt-00002']);

    const text = await kit('audit', 'query', '--limit', '2');
    expect(text.stdout).toMatch(/^at\s+type\s+actor\s+clientId\s+ip\s+detail\n/);
    expect(text.stdout).toContain('login.success  cust-0  even-client  127.0.0.1  {"n":0}');
  });

  it('records operator commands with actor cli', async () => {
    const added = json<{ clientId: string }>(await kit('clients', 'add', '--name', 'Audited', '--redirect-uri', 'https://a.example.test/cb', '--json'));
    const events = json<Event[]>(await kit('audit', 'query', '--actor', 'cli', '--type', 'client.created', '--json'));
    expect(events.map((e) => e.clientId)).toContain(added.clientId);
    expect(JSON.stringify(events)).not.toMatch(/secret/i);
  });

  it('exports every matching event as NDJSON, oldest first, to stdout and to a file', async () => {
    const res = await kit('audit', 'export', '--client', 'even-client', '--type', 'login.success');
    expect(res.code).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(417); // i ≡ 0 (mod 6) for i < 2500
    const ids = lines.map((l) => (JSON.parse(l) as Event).id);
    expect(ids[0]).toBe('evt-02496');
    expect(ids.at(-1)).toBe('evt-00000');

    const out = join(store.config.dataDir, 'audit.ndjson');
    const all = await kit('audit', 'export', '--until', new Date(now + 1).toISOString(), '--out', out, '--json');
    expect(all.code).toBe(0);
    expect(json(all)).toEqual({ exported: 2500, out });
    const written = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(written).toHaveLength(2500);
    expect(new Set(written.map((l) => (JSON.parse(l) as Event).id)).size).toBe(2500);
  });

  it('prunes by retention and prints the count', async () => {
    const before = await countEvents();
    const res = await kit('audit', 'prune', '--older-than', '90d');
    expect(res.code).toBe(0);
    const deleted = Number(/^(\d+) event\(s\) before \S+ deleted\n$/.exec(res.stdout)?.[1]);
    expect(deleted).toBeGreaterThan(300);
    expect(await countEvents()).toBe(before - deleted);
    expect(json<{ deleted: number }>(await kit('audit', 'prune', '--older-than', '90d', '--json')).deleted).toBe(0);
  });

  it('the running OP prunes past AUDIT_RETENTION_DAYS', async () => {
    await database.db
      .insertInto('audit_events')
      .values({ id: 'ancient', at: now - 300 * DAY, type: 'login.success', actor: null, client_id: null, ip: null, detail: null })
      .execute();
    let left = 1;
    for (let i = 0; i < 100 && left > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = (await database.db.selectFrom('audit_events').select('id').where('id', '=', 'ancient').execute()).length;
    }
    expect(left).toBe(0);
  });

  it('explains bad arguments (exit 2)', async () => {
    for (const argv of [
      ['query', '--since', 'yesterday'],
      ['query', '--limit', '0'],
      ['prune'],
      ['prune', '--older-than', '90'],
    ]) {
      const res = await kit('audit', ...argv);
      expect(res.code, argv.join(' ')).toBe(2);
      expect(res.stderr).toMatch(/^pnpm kit audit \w+: --/);
    }
  });

  async function countEvents(): Promise<number> {
    const row = await database.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }
});
