import type { CompiledQuery, DatabaseConnection, Dialect, Driver } from 'kysely';
import { activeSpan } from './context.js';
import { SpanKind } from './span.js';

/** OpenTelemetry's db.system.name values for the two engines. */
export type DbSystem = 'sqlite' | 'postgresql';

const TRACED = Symbol('traced');

/** Longer statements are cut: a span is not the place for a bulk insert's thousand placeholders. */
const MAX_QUERY_TEXT = 2048;

const OPERATIONS: Record<string, string> = {
  SelectQueryNode: 'SELECT',
  InsertQueryNode: 'INSERT',
  UpdateQueryNode: 'UPDATE',
  DeleteQueryNode: 'DELETE',
  MergeQueryNode: 'MERGE',
};

interface Node {
  kind?: string;
  table?: Node;
  identifier?: { name?: string };
  node?: Node;
  into?: Node;
  from?: { froms?: Node[] };
}

/** The table a simple query reads or writes (`from x`, `into x`, `update x`, aliased or not). */
function collectionOf(query: Node): string | undefined {
  let table = query.into ?? query.from?.froms?.[0] ?? query.table;
  if (table?.kind === 'AliasNode') table = table.node;
  return table?.kind === 'TableNode' ? table.table?.identifier?.name : undefined;
}

function operationOf(compiled: CompiledQuery): string {
  return OPERATIONS[compiled.query.kind] ?? /^\s*(\w+)/.exec(compiled.sql)?.[1]?.toUpperCase() ?? 'QUERY';
}

/**
 * Each query run inside a sampled trace becomes a CLIENT span, child of the request's: named
 * `SELECT account`, with db.system.name, db.operation.name, db.collection.name and the statement as
 * Kysely compiled it (db.query.text: placeholders only, never the bound parameter values).
 * Outside a trace a query costs one context lookup.
 */
function traceConnection(connection: DatabaseConnection, system: DbSystem): DatabaseConnection {
  const traced = connection as DatabaseConnection & { [TRACED]?: true };
  if (traced[TRACED]) return connection;
  traced[TRACED] = true;
  const execute = connection.executeQuery.bind(connection);
  connection.executeQuery = async (compiled, options) => {
    const parent = activeSpan();
    if (parent === undefined || !parent.recording) return execute(compiled, options);
    const operation = operationOf(compiled);
    const collection = collectionOf(compiled.query as Node);
    const span = parent
      .child(collection ? `${operation} ${collection}` : operation, SpanKind.CLIENT)
      .setAttribute('db.system.name', system)
      .setAttribute('db.operation.name', operation)
      .setAttribute('db.collection.name', collection)
      .setAttribute('db.query.text', compiled.sql.slice(0, MAX_QUERY_TEXT));
    try {
      return await execute(compiled, options);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      span.fail().setAttribute('error.type', typeof code === 'string' ? code : err instanceof Error ? err.name : 'error');
      throw err;
    } finally {
      span.end();
    }
  };
  return connection;
}

function traceDriver(driver: Driver, system: DbSystem): Driver {
  const acquire = driver.acquireConnection.bind(driver);
  driver.acquireConnection = async (options) => traceConnection(await acquire(options), system);
  return driver;
}

/** The dialect with its driver's connections traced (see traceConnection). */
export function tracedDialect(dialect: Dialect, system: DbSystem): Dialect {
  return {
    createDriver: () => traceDriver(dialect.createDriver(), system),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}
