// A simple store's engine on PostgreSQL (../sql/engine.ts): reads and single writes on the
// pool (each statement commits alone), several writes in one transaction on one client.
import { postgresDialect } from '../sql/dialect.ts';
import type { StoreEngine } from '../sql/engine.ts';
import { postgresExecutor } from '../sql/executor.ts';
import { inTransaction, type PostgresConnection } from './connection.ts';

export function postgresStoreEngine(connection: PostgresConnection): StoreEngine {
  const dialect = postgresDialect(connection.schema);
  const reads = postgresExecutor(connection.pool, dialect);
  return {
    engine: 'postgres',
    dialect,
    reads,
    writes: (work) => work(reads),
    transaction: (work) =>
      inTransaction(connection.pool, (client) => work(postgresExecutor(client, dialect))),
    close: () => connection.close(),
  };
}
