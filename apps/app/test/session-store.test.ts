import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { migrate, openDatabase, type Database } from '@apps/shared';
import { createTempDatabase, type TempDatabase } from '@kit/harness/postgres';
import { hashSessionId, SessionCipher } from '../src/session/crypto.js';
import { migrations } from '../src/db/migrations.js';
import type { AppSchema } from '../src/db/schema.js';
import { SessionStore } from '../src/session/store.js';
import type { SessionData } from '../src/session/types.js';

const SECRET = 'test-app-cookie-secret-0000000000000000000000';
const ACCESS = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjdXN0LTEwMDAxIn0.c2lnbmF0dXJlLXBsYWludGV4dA';
const REFRESH = 'refresh-token-plaintext-value-0123456789';

const data = (): SessionData => ({
  csrf: 'csrf-token',
  tokens: {
    accessToken: ACCESS,
    idToken: 'id.token.value',
    refreshToken: REFRESH,
    tokenType: 'bearer',
    idTokenClaims: { sub: 'cust-10001' },
    obtainedAt: 1,
  },
});

const engines: Array<[string, () => Promise<{ database: Database<AppSchema>; cleanup: () => Promise<void> }>]> = [
  [
    'SQLite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'app-store-'));
      const database = openDatabase<AppSchema>({ sqliteFile: join(dir, 'app.sqlite') });
      return { database, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const temp: TempDatabase = await createTempDatabase('app_test');
      const database = openDatabase<AppSchema>({ databaseUrl: temp.url, sqliteFile: '' });
      return { database, cleanup: () => temp.drop() };
    },
  ],
];

describe.each(engines)('session store on %s', (_name, open) => {
  let database: Database<AppSchema>;
  let cleanup: () => Promise<void>;
  let store: SessionStore;

  beforeAll(async () => {
    ({ database, cleanup } = await open());
    await migrate(database.db, migrations);
    store = new SessionStore(database.db, new SessionCipher([SECRET]));
  });

  afterAll(async () => {
    await database?.close();
    await cleanup?.();
  });

  it('round-trips session data', async () => {
    const created = await store.create(data(), 60);
    const loaded = await store.get(created.id);
    expect(loaded?.data).toEqual(data());
  });

  it('never stores tokens or the session id in plaintext', async () => {
    const created = await store.create(data(), 60);
    const rows = await sql<Record<string, unknown>>`select * from app_sessions`.execute(database.db);
    const dump = JSON.stringify(rows.rows);
    expect(dump).not.toContain(ACCESS);
    expect(dump).not.toContain(ACCESS.split('.')[1]);
    expect(dump).not.toContain(REFRESH);
    expect(dump).not.toContain(created.id);
    expect(dump).toContain(hashSessionId(created.id));
  });

  it('rotates: the old id stops working, the new one carries the data', async () => {
    const created = await store.create(data(), 60);
    const rotated = await store.rotate(created, 60);
    expect(rotated.id).not.toBe(created.id);
    expect(await store.get(created.id)).toBeUndefined();
    expect((await store.get(rotated.id))?.data.tokens?.refreshToken).toBe(REFRESH);
  });

  it('forgets expired sessions', async () => {
    const created = await store.create(data(), 60);
    await database.db.updateTable('app_sessions').set({ expires_at: 1 }).where('id_hash', '=', hashSessionId(created.id)).execute();
    expect(await store.get(created.id)).toBeUndefined();
    const left = await sql`select 1 from app_sessions where id_hash = ${hashSessionId(created.id)}`.execute(database.db);
    expect(left.rows).toHaveLength(0);
  });

  it('refuses data moved onto another session id (bound by AES-GCM additional data)', async () => {
    const a = await store.create(data(), 60);
    const b = await store.create({ csrf: 'other' }, 60);
    const row = await database.db.selectFrom('app_sessions').select('data').where('id_hash', '=', hashSessionId(a.id)).executeTakeFirstOrThrow();
    await database.db.updateTable('app_sessions').set({ data: row.data }).where('id_hash', '=', hashSessionId(b.id)).execute();
    expect(await store.get(b.id)).toBeUndefined();
  });

  it('cannot read sessions sealed under another COOKIE_SECRET', async () => {
    const created = await store.create(data(), 60);
    const other = new SessionStore(database.db, new SessionCipher(['another-secret-000000000000000000000000000']));
    expect(await other.get(created.id)).toBeUndefined();
  });

  it('reads a session sealed under an older secret and seals it again with the newest (rotation)', async () => {
    const NEWER = 'newer-app-cookie-secret-000000000000000000000';
    const created = await store.create(data(), 60);
    const rotated = new SessionStore(database.db, new SessionCipher([NEWER, SECRET]));
    expect((await rotated.get(created.id))?.data).toEqual(data());
    // Resealed on that read: the newest secret alone now opens it, the old one no longer does.
    expect((await new SessionStore(database.db, new SessionCipher([NEWER])).get(created.id))?.data).toEqual(data());
    expect(await store.get(created.id)).toBeUndefined();
  });

  it('never overwrites a concurrent save with the data it resealed', async () => {
    const NEWER = 'newer-app-cookie-secret-000000000000000000000';
    const created = await store.create(data(), 60);
    const rotated = new SessionStore(database.db, new SessionCipher([NEWER, SECRET]));
    const idHash = hashSessionId(created.id);
    const row = await database.db.selectFrom('app_sessions').select('data').where('id_hash', '=', idHash).executeTakeFirstOrThrow();
    // Another request saved refreshed tokens between this read's select and its reseal.
    await rotated.save({ ...created, data: { ...data(), csrf: 'saved-meanwhile' } });
    const sealedMeanwhile = await database.db.selectFrom('app_sessions').select('data').where('id_hash', '=', idHash).executeTakeFirstOrThrow();
    await (rotated as unknown as { reseal(h: string, s: string, p: string): Promise<void> }).reseal(idHash, row.data, JSON.stringify(data()));
    const after = await database.db.selectFrom('app_sessions').select('data').where('id_hash', '=', idHash).executeTakeFirstOrThrow();
    expect(after.data).toBe(sealedMeanwhile.data);
    expect((await rotated.get(created.id))?.data.csrf).toBe('saved-meanwhile');
  });

  it('deletes on destroy', async () => {
    const created = await store.create(data(), 60);
    await store.destroy(created.id);
    expect(await store.get(created.id)).toBeUndefined();
  });
});
