import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTempDatabase, type TempDatabase } from '@apps/shared/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDatabase } from '../src/db/open.js';
import { RateCounter } from '../src/db/rate-counter.js';

const WINDOW = 60_000;
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % WINDOW);

async function onSqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'api-rate-'));
  const database = await openApiDatabase({ dataDir: dir, databaseUrl: undefined });
  const cleanup = async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { database, cleanup };
}

async function onPostgres() {
  const temp: TempDatabase = await createTempDatabase('api_rate');
  const database = await openApiDatabase({ dataDir: '.', databaseUrl: temp.url });
  const cleanup = async () => {
    await database.close();
    await temp.drop();
  };
  return { database, cleanup };
}

const engines = [
  { name: 'SQLite', open: onSqlite },
  { name: 'PostgreSQL', open: onPostgres },
];

describe.each(engines)('batched rate counter on $name', (engine) => {
  let opened: Awaited<ReturnType<typeof onSqlite>>;
  beforeAll(async () => {
    opened = await engine.open();
  });
  afterAll(() => opened.cleanup());

  const stored = async (key: string) =>
    (await sql<{ hits: number; window_start: number }>`select hits, window_start from rate_limit where key = ${key}`.execute(opened.database.db)).rows.map((r) => [
      Number(r.window_start),
      Number(r.hits),
    ]);

  it('returns running totals per key without a statement per hit, and stores them in one flush', async () => {
    const counter = new RateCounter(opened.database.db, { windowMs: WINDOW, syncMs: 60_000 });
    for (let i = 1; i <= 5; i++) expect((await counter.hit(['ip:a', 'client:x'], T0 + i)).get('ip:a')).toBe(i);
    expect((await counter.hit(['client:x'], T0 + 10)).get('client:x')).toBe(6);
    expect(await stored('client:x')).toEqual([]);
    await counter.close();
    expect(await stored('client:x')).toEqual([[T0, 6]]);
    expect(await stored('ip:a')).toEqual([[T0, 5]]);
  });

  it('starts from zero in a new window and does not carry unflushed hits of the old one into it', async () => {
    const counter = new RateCounter(opened.database.db, { windowMs: WINDOW, syncMs: 60_000 });
    await counter.hit(['ip:w'], T0 + 1);
    await counter.hit(['ip:w'], T0 + 2);
    expect((await counter.hit(['ip:w'], T0 + WINDOW)).get('ip:w')).toBe(1);
    await counter.close();
    expect(await stored('ip:w')).toEqual([[T0 + WINDOW, 1]]);
  });

  it('keeps the hits of a failed flush and adds them with the next one', async () => {
    const errors: string[] = [];
    const counter = new RateCounter(opened.database.db, { windowMs: WINDOW, syncMs: 60_000, onError: (_err, what) => errors.push(what) });
    await counter.hit(['ip:f'], T0 + 1);
    await sql`alter table rate_limit rename to rate_limit_away`.execute(opened.database.db);
    try {
      await counter.flush();
    } finally {
      await sql`alter table rate_limit_away rename to rate_limit`.execute(opened.database.db);
    }
    // The window's background cleanup may also have run into the renamed table; only the flush matters here.
    expect(errors.filter((what) => what === 'flush')).toEqual(['flush']);
    expect((await counter.hit(['ip:f'], T0 + 2)).get('ip:f')).toBe(2);
    await counter.close();
    expect(await stored('ip:f')).toEqual([[T0, 2]]);
  });

  it('learns the other instances\' hits from its own flush', async () => {
    const one = new RateCounter(opened.database.db, { windowMs: WINDOW, syncMs: 60_000 });
    const two = new RateCounter(opened.database.db, { windowMs: WINDOW, syncMs: 60_000 });
    for (let i = 0; i < 3; i++) await one.hit(['client:shared'], T0 + i);
    await one.flush();
    await two.hit(['client:shared'], T0 + 5);
    await two.flush();
    expect((await two.hit(['client:shared'], T0 + 6)).get('client:shared')).toBe(5);
    await one.close();
    await two.close();
    expect(await stored('client:shared')).toEqual([[T0, 5]]);
  });

  it('flushes on its own every interval', async () => {
    const counter = new RateCounter(opened.database.db, { windowMs: WINDOW, syncMs: 20 });
    await counter.hit(['ip:timer'], T0 + 1);
    await expect.poll(() => stored('ip:timer'), { timeout: 2000 }).toEqual([[T0, 1]]);
    await counter.close();
  });

  it('stores many keys of one interval (more rows than one statement takes)', async () => {
    const counter = new RateCounter(opened.database.db, { windowMs: WINDOW, syncMs: 60_000 });
    for (let i = 0; i < 1200; i++) await counter.hit([`ip:many-${i}`], T0 + 1);
    await counter.close();
    const { rows } = await sql<{ n: number }>`select count(*) as n from rate_limit where key like 'ip:many-%'`.execute(opened.database.db);
    expect(Number(rows[0]!.n)).toBe(1200);
  });
});
