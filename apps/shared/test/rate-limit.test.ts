import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '@kit/harness/postgres';
import { openDatabase, type Database } from '../src/db.js';
import { createLogger } from '../src/logger.js';
import { RateCounter, createRateCounter, createRateCounterTable, perMinute, perWindow } from '../src/rate-limit.js';

const WINDOW = 60_000;
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % WINDOW);

/** A database with the counters' tables: `rate_limit` (unlogged on PostgreSQL) and `durable_limit`. */
async function withTables(database: Database<unknown>): Promise<Database<unknown>> {
  await createRateCounterTable(database.db, 'rate_limit');
  await createRateCounterTable(database.db, 'durable_limit', { durable: true });
  return database;
}

async function onSqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'shared-rate-'));
  const database = await withTables(openDatabase({ sqliteFile: join(dir, 'rate.sqlite') }));
  const cleanup = async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { database, cleanup };
}

async function onPostgres() {
  const temp: TempDatabase = await createTempDatabase('shared_rate');
  const database = await withTables(openDatabase({ databaseUrl: temp.url, sqliteFile: 'unused' }));
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

function storedIn(db: Kysely<unknown>, key: string, table = 'rate_limit') {
  return sql<{ hits: number; window_start: number }>`select hits, window_start from ${sql.table(table)} where key = ${key} order by window_start`
    .execute(db)
    .then((r) => r.rows.map((row) => [Number(row.window_start), Number(row.hits)]));
}

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

  it('holds in memory only the keys of the window being counted (one per customer stays bounded)', async () => {
    const counter = new RateCounter(opened.database.db, { windowMs: WINDOW, syncMs: 60_000 });
    for (let i = 0; i < 1000; i++) await counter.hit(['client:agg', `customer:agg|cust-${i}`], T0 + 1);
    await counter.flush();
    expect(counter.keysInMemory).toBe(1001);
    await counter.hit(['client:agg', 'customer:agg|cust-1'], T0 + WINDOW);
    expect(counter.keysInMemory).toBe(2);
    await counter.close();
    // And in the table: the past window's rows go once the next window is counted.
    await expect.poll(async () => (await stored('customer:agg|cust-999')).length).toBe(0);
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

  it('still counts the hits of a flush in progress (one instance stays exact while it writes)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const db = opened.database.db;
    // The flush's upsert waits at the gate, as a slow database round trip would.
    const slow = { getExecutor: () => db.getExecutor(), executeQuery: (async (query) => (await gate, db.executeQuery(query))) as typeof db.executeQuery };
    const counter = new RateCounter(slow, { windowMs: WINDOW, syncMs: 60_000 });
    for (let i = 0; i < 3; i++) await counter.hit(['customer:inflight'], T0 + 1);
    const flushing = counter.flush();
    expect(await counter.seen('customer:inflight', T0 + 2)).toBe(3);
    expect((await counter.hit(['customer:inflight'], T0 + 2)).get('customer:inflight')).toBe(4);
    release();
    await flushing;
    expect(await counter.seen('customer:inflight', T0 + 3)).toBe(4);
    await counter.close();
    expect(await stored('customer:inflight')).toEqual([[T0, 4]]);
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

describe.each(engines)('exact rate counter on $name', (engine) => {
  let opened: Awaited<ReturnType<typeof onSqlite>>;
  let db: Kysely<unknown>;
  beforeAll(async () => {
    opened = await engine.open();
    db = opened.database.db;
  });
  afterAll(() => opened.cleanup());

  const exact = () => new RateCounter(db, { windowMs: WINDOW, syncMs: 0 });

  it('counts every hit with one upsert, so counters of two instances on one database agree', async () => {
    const [one, two] = [exact(), exact()];
    expect(one.exact).toBe(true);
    const totals: number[] = [];
    for (let i = 0; i < 3; i++) {
      totals.push((await one.hit(['client:e'], T0 + i)).get('client:e')!);
      totals.push((await two.hit(['client:e'], T0 + i)).get('client:e')!);
    }
    expect(totals).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await storedIn(db, 'client:e')).toEqual([[T0, 6]]);
  });

  it('counts hits on several keys in one statement and stays exact under concurrent hits', async () => {
    const [one, two] = [exact(), exact()];
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => [one, two][i % 2]!.hit(['ip:c', 'client:c'], T0 + 1)));
    expect(results.map((r) => r.get('ip:c')).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(results.map((r) => r.get('client:c')).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('peeks at a key without counting, in the window of the time given, and resets it', async () => {
    const counter = exact();
    expect(await counter.peek('login:failures:p', T0 + 1)).toBe(0);
    for (let i = 0; i < 3; i++) await counter.hit(['login:failures:p'], T0 + 1);
    expect(await counter.peek('login:failures:p', T0 + 2)).toBe(3);
    expect(await exact().peek('login:failures:p', T0 + 2)).toBe(3);
    expect(await counter.peek('login:failures:p', T0 + WINDOW)).toBe(0);
    await counter.reset('login:failures:p');
    expect(await counter.peek('login:failures:p', T0 + 2)).toBe(0);
    expect(await storedIn(db, 'login:failures:p')).toEqual([]);
    expect((await counter.hit(['login:failures:p'], T0 + 3)).get('login:failures:p')).toBe(1);
  });

  it('reserves below a limit in one statement: fifty parallel reservations on two instances get exactly the limit', async () => {
    const [one, two] = [exact(), exact()];
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => [one, two][i % 2]!.reserve('login:failures:r', 5, T0 + 1)));
    expect(results.filter((r) => r !== undefined).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    expect(await one.peek('login:failures:r', T0 + 2)).toBe(5);
    // A new window, or a reset, makes room again.
    expect(await one.reserve('login:failures:r', 5, T0 + WINDOW)).toBe(1);
    await one.reset('login:failures:r');
    expect(await two.reserve('login:failures:r', 5, T0 + 3)).toBe(1);
    await expect(new RateCounter(db, { windowMs: WINDOW, syncMs: 60_000 }).reserve('ip:b', 1, T0)).rejects.toThrow(/exact/);
  });

  it('starts a new window at the next multiple of windowMs and deletes the past ones', async () => {
    const counter = new RateCounter(db, { table: 'durable_limit', windowMs: WINDOW, syncMs: 0 });
    await counter.hit(['ip:w'], T0 + WINDOW - 1);
    await counter.hit(['ip:w'], T0 + WINDOW - 1);
    expect((await counter.hit(['ip:w'], T0 + WINDOW)).get('ip:w')).toBe(1);
    await expect.poll(() => storedIn(db, 'ip:w', 'durable_limit')).toEqual([[T0 + WINDOW, 1]]);
  });

  it('refuses to peek or reset when batched (hits of other instances may not be in the table yet)', async () => {
    const counter = new RateCounter(db, { windowMs: WINDOW, syncMs: 60_000 });
    expect(counter.exact).toBe(false);
    await expect(counter.peek('ip:b', T0)).rejects.toThrow(/exact/);
    await expect(counter.reset('ip:b')).rejects.toThrow(/exact/);
    await counter.close();
  });

  it('tells what it has seen of a key without counting: exact from the table, batched from its own view', async () => {
    const [one, two] = [exact(), exact()];
    await one.hit(['seen:e'], T0 + 1);
    expect(await two.seen('seen:e', T0 + 2)).toBe(1);
    expect(await two.seen('seen:e', T0 + WINDOW)).toBe(0);

    const [a, b] = [new RateCounter(db, { windowMs: WINDOW, syncMs: 60_000 }), new RateCounter(db, { windowMs: WINDOW, syncMs: 60_000 })];
    await a.hit(['seen:b'], T0 + 1);
    await a.hit(['seen:b'], T0 + 1);
    expect(await a.seen('seen:b', T0 + 2)).toBe(2);
    await a.flush();
    await b.hit(['seen:b'], T0 + 3);
    expect(await b.seen('seen:b', T0 + 3)).toBe(1); // not flushed yet: a's hits are unknown to b
    await b.flush();
    expect(await b.seen('seen:b', T0 + 4)).toBe(3);
    expect(await b.seen('seen:b', T0 + WINDOW)).toBe(0);
    expect(await storedIn(db, 'seen:b')).toEqual([[T0, 3]]);
    await a.close();
    await b.close();
  });

  it('is built with logging: a failed flush is logged with its table and retried', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ name: 'test' }, stream);
    const counter = createRateCounter(db, { table: 'gone_limit', windowMs: WINDOW, syncMs: 60_000, logger });
    expect((await counter.hit(['ip:l'], T0 + 1)).get('ip:l')).toBe(1);
    await counter.flush();
    const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string; table: string });
    expect(logged).toContainEqual(
      expect.objectContaining({ level: 40, table: 'gone_limit', msg: 'could not add rate-limit hits to the shared counters; retrying' }),
    );
    expect((await counter.hit(['ip:l'], T0 + 2)).get('ip:l')).toBe(2);
  });

  it.runIf(engine.name === 'PostgreSQL')('keeps counters out of the WAL unless they must survive a crash', async () => {
    const { rows } = await sql<{ relname: string; relpersistence: string }>`
      select relname, relpersistence from pg_class where relname in ('rate_limit', 'durable_limit') order by relname`.execute(db);
    expect(rows).toEqual([
      { relname: 'durable_limit', relpersistence: 'p' },
      { relname: 'rate_limit', relpersistence: 'u' },
    ]);
  });
});

describe('Retry-After of a fixed window', () => {
  it('is the whole seconds left in the window of the time given, at least 1', () => {
    const counter = new RateCounter({} as Kysely<unknown>, { windowMs: WINDOW, syncMs: 0 });
    expect(counter.retryAfterSeconds(T0)).toBe(60);
    expect(counter.retryAfterSeconds(T0 + 1)).toBe(60);
    expect(counter.retryAfterSeconds(T0 + 59_001)).toBe(1);
    expect(counter.retryAfterSeconds(T0 + WINDOW - 1)).toBe(1);
    expect(counter.windowOf(T0 + WINDOW - 1)).toBe(T0);
  });
});

describe('allowances per minute and per window', () => {
  it('scales a per-minute allowance to the window, rounding up, and keeps 0 as no limit', () => {
    expect(perWindow(600, 60_000)).toBe(600);
    expect(perWindow(600, 3_600_000)).toBe(36_000);
    expect(perWindow(3, 2_000)).toBe(1);
    expect(perWindow(0, 2_000)).toBe(0);
    expect(perMinute(5000, 2_000)).toBe(150_000);
    expect(perMinute(1, 3_600_000)).toBe(1);
    expect(perMinute(0, 60_000)).toBe(0);
  });
});
