import { createRateCounterTable } from '@apps/shared';
import { PostgresAdapter, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { BUCKET_COLUMNS } from '../performance/buckets.js';

export const migrations: Record<string, Migration> = {
  '0001_fdx': {
    up: async (db: Kysely<unknown>) => {
      await db.schema
        .createTable('customer')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('account')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('customer_id', 'text', (c) => c.notNull().references('customer.id').onDelete('cascade'))
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('account_type', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('account_number', 'text', (c) => c.notNull())
        .addColumn('product_name', 'text', (c) => c.notNull())
        .addColumn('nickname', 'text')
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('contact', 'text', (c) => c.notNull())
        .execute();
      // Every account query is "this customer's accounts", listed by id.
      await db.schema.createIndex('account_customer_id_idx').on('account').columns(['customer_id', 'id']).execute();

      await db.schema
        .createTable('transaction')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('account.id').onDelete('cascade'))
        .addColumn('posted_at', 'bigint', (c) => c.notNull())
        .addColumn('transacted_at', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('debit_credit', 'text', (c) => c.notNull())
        .addColumn('amount', 'numeric(14, 2)', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .execute();
      // Keyset pagination within a date range: the page costs the same at 10k or 1M rows.
      await db.schema
        .createIndex('transaction_account_posted_idx')
        .on('transaction')
        .columns(['account_id', 'posted_at', 'id'])
        .execute();

      await db.schema
        .createTable('statement')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('account.id').onDelete('cascade'))
        .addColumn('statement_date', 'text', (c) => c.notNull())
        .addColumn('period_start', 'text', (c) => c.notNull())
        .addColumn('period_end', 'text', (c) => c.notNull())
        .addColumn('opening_balance', 'numeric(14, 2)', (c) => c.notNull())
        .addColumn('closing_balance', 'numeric(14, 2)', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('statement_account_date_idx')
        .on('statement')
        .columns(['account_id', 'statement_date', 'id'])
        .execute();

      await db.schema
        .createTable('payment_network')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('account.id').onDelete('cascade'))
        .addColumn('bank_id', 'text', (c) => c.notNull())
        .addColumn('identifier', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('transfer_in', 'integer', (c) => c.notNull())
        .addColumn('transfer_out', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('payment_network_account_idx').on('payment_network').columns(['account_id', 'id']).execute();

      await db.schema
        .createTable('asset_transfer_network')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('account.id').onDelete('cascade'))
        .addColumn('identifier', 'text', (c) => c.notNull())
        .addColumn('identifier_type', 'text', (c) => c.notNull())
        .addColumn('institution_name', 'text', (c) => c.notNull())
        .addColumn('institution_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('joint_account', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('asset_transfer_network_account_idx')
        .on('asset_transfer_network')
        .columns(['account_id', 'id'])
        .execute();
    },
  },
  '0002_rate_limit': {
    up: async (db: Kysely<unknown>) => {
      await createRateCounterTable(db, 'rate_limit');
    },
  },
  '0003_statement_document': {
    up: async (db: Kysely<unknown>) => {
      // A bank's own statement PDFs, imported beside the statement rows; served as they are.
      const binary = db.getExecutor().adapter instanceof PostgresAdapter ? 'bytea' : 'blob';
      await db.schema
        .createTable('statement_document')
        .addColumn('statement_id', 'text', (c) => c.primaryKey().references('statement.id').onDelete('cascade'))
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('content', binary, (c) => c.notNull())
        .execute();
    },
  },
  '0004_performance_disclosure': {
    up: async (db: Kysely<unknown>) => {
      // Per instance and minute, what the performance disclosure counts (README, "Performance
      // disclosure"): each instance adds to its own rows, so instances never contend for one row.
      await db.schema
        .createTable('performance_minute')
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('minute', 'bigint', (c) => c.notNull())
        .addColumn('requests', 'integer', (c) => c.notNull())
        .addColumn('proper', 'integer', (c) => c.notNull())
        .$call((b) => BUCKET_COLUMNS.reduce((t, name) => t.addColumn(name, 'integer', (c) => c.notNull()), b))
        .addPrimaryKeyConstraint('performance_minute_pk', ['instance_id', 'minute'])
        .execute();
      // Reports and folding read by time across instances.
      await db.schema.createIndex('performance_minute_minute_idx').on('performance_minute').column('minute').execute();
      // Months whose minutes were folded: one row per month, every instance summed.
      await db.schema
        .createTable('performance_month')
        .addColumn('month', 'text', (c) => c.primaryKey())
        .addColumn('requests', 'bigint', (c) => c.notNull())
        .addColumn('proper', 'bigint', (c) => c.notNull())
        .$call((b) => BUCKET_COLUMNS.reduce((t, name) => t.addColumn(name, 'bigint', (c) => c.notNull()), b))
        .execute();
    },
  },
};
