// The access store on PostgreSQL: its tables in the shared schema, with their own migration
// component (access) in the schema_migrations ledger.
import { type AccessSql, accessMigrations, SqlAccessStore } from '../access-sql.ts';
import {
  connectPostgres,
  migratedOrClosed,
  migratePostgres,
  type PostgresOpenOptions,
} from './connection.ts';
import { quoteIdent } from './sql.ts';

/** `?` placeholders to `$1…`; the access SQL has no `?` inside a literal. */
function numbered(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

export async function openPostgresAccessStore(
  url: string,
  options: PostgresOpenOptions = {},
): Promise<SqlAccessStore> {
  const connection = connectPostgres(url, options);
  const { pool, schema } = connection;
  const sql: AccessSql = {
    engine: 'postgres',
    all: async <T>(text: string, params: unknown[] = []) =>
      (await pool.query(numbered(text), params)).rows as T[],
    run: async (text, params = []) => (await pool.query(numbered(text), params)).rowCount ?? 0,
    table: (name) => `${quoteIdent(schema)}.${quoteIdent(name)}`,
    contains: (column) => `strpos(${column}, ?) > 0`,
    close: () => connection.close(),
  };
  return migratedOrClosed(new SqlAccessStore(sql), () =>
    migratePostgres(pool, schema, {
      component: 'access',
      migrations: accessMigrations('bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY'),
    }),
  );
}
