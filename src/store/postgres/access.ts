// The access store on PostgreSQL: its SQL is shared (../sql/access.ts), its tables in the
// shared schema with their own migration component (access) in the schema_migrations ledger.
import { accessMigrations, SqlAccessStore } from '../sql/access.ts';
import {
  connectPostgres,
  migratedOrClosed,
  migratePostgres,
  type PostgresOpenOptions,
} from './connection.ts';
import { postgresStoreEngine } from './engine.ts';

export async function openPostgresAccessStore(
  url: string,
  options: PostgresOpenOptions = {},
): Promise<SqlAccessStore> {
  const connection = connectPostgres(url, options);
  return migratedOrClosed(new SqlAccessStore(postgresStoreEngine(connection)), () =>
    migratePostgres(connection.pool, connection.schema, {
      component: 'access',
      migrations: accessMigrations('bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY'),
    }),
  );
}
