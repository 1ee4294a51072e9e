import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { configOrExit, createLogger, loadDotEnv } from '@apps/shared';
import { loadApiConfig } from './config.js';
import { openApiDatabase } from './db/open.js';
import { clearData, seed, seedVolume, VOLUME_ACCOUNT_ID } from './demo/load.js';
import { demoRecords, volumeTransactions } from './demo/records.js';
import { writeNdjson } from './import/write-ndjson.js';

/**
 * `pnpm seed` generates the demo data set and imports it (the importer's path, in memory) into
 * an empty database; `--reset` rebuilds it; `--transactions N` adds N benchmark transactions to
 * the demo checking account; `--out FILE` writes the same records as NDJSON instead, for
 * `pnpm kit data import FILE`.
 */
loadDotEnv('.env');
// `pnpm --filter @apps/api seed -- --reset` hands the script a leading `--`; it separates nothing here.
const argv = process.argv.slice(2);
const USAGE = 'usage: pnpm seed [--reset] [--transactions N] [--out FILE]\n';
let values: { reset: boolean; transactions?: string | undefined; out?: string | undefined };
try {
  ({ values } = parseArgs({
    args: argv[0] === '--' ? argv.slice(1) : argv,
    options: { reset: { type: 'boolean', default: false }, transactions: { type: 'string' }, out: { type: 'string' } },
  }));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
const volume = values.transactions === undefined ? 0 : Number(values.transactions);
if (!Number.isInteger(volume) || volume < 0) {
  process.stderr.write('--transactions must be a non-negative integer\n');
  process.exit(2);
}
if (values.out !== undefined) {
  const file = resolve(process.env.INIT_CWD ?? process.cwd(), values.out);
  const count = await writeNdjson(file, (function* () {
    yield* demoRecords();
    yield* volumeTransactions(volume);
  })());
  process.stdout.write(`wrote ${count} records to ${file}\n`);
  process.exit(0);
}
const config = configOrExit(() => loadApiConfig(process.env));
const logger = createLogger({ name: 'api-seed', level: config.logLevel });
const database = await openApiDatabase(config, logger);
try {
  if (values.reset) await clearData(database.db);
  const existing = await database.db.selectFrom('customer').select('id').limit(1).executeTakeFirst();
  if (existing) logger.info('demo customers already present (use --reset to rebuild)');
  else logger.info(await seed(database.db), 'seeded demo customers');
  if (volume > 0) {
    const started = Date.now();
    let logged = 0;
    await seedVolume(database.db, volume, {
      onProgress: (done) => {
        if (done - logged >= 100_000 || done === volume) {
          logged = done;
          logger.info({ done, of: volume }, 'volume transactions imported');
        }
      },
    });
    logger.info({ account: VOLUME_ACCOUNT_ID, transactions: volume, ms: Date.now() - started }, 'volume seeded');
  }
} finally {
  await database.close();
}
