// Helpers for the profile and privacy tests: a dump of every row the stores hold (SQLite
// files, DuckDB file, or the PostgreSQL schema) as text.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import pg from 'pg';

/** Every row of every table of the embedded stores in dataDir, as JSON lines (server closed). */
export async function dumpEmbedded(dataDir: string): Promise<string> {
  const lines: string[] = [];
  for (const file of ['state.sqlite', 'log.sqlite']) {
    const db = new Database(join(dataDir, file), { readonly: true });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[];
    for (const { name } of tables) {
      for (const row of db.prepare(`SELECT * FROM "${name}"`).all())
        lines.push(`${file}:${name} ${JSON.stringify(row)}`);
    }
    db.close();
  }
  const instance = await DuckDBInstance.create(join(dataDir, 'events.duckdb'));
  const connection = await instance.connect();
  const tables = (await connection.runAndReadAll('SHOW TABLES')).getRowObjects();
  for (const table of tables) {
    const rows = (
      await connection.runAndReadAll(`SELECT * FROM "${String(table.name)}"`)
    ).getRowObjectsJson();
    for (const row of rows) lines.push(`duckdb:${String(table.name)} ${JSON.stringify(row)}`);
  }
  connection.closeSync();
  instance.closeSync();
  return lines.join('\n');
}

/** The raw bytes of the SQLite files (and their WAL), as latin1 text: what a disk image shows. */
export function sqliteBytes(dataDir: string): string {
  return readdirSync(dataDir)
    .filter((file) => file.includes('.sqlite'))
    .map((file) => readFileSync(join(dataDir, file)).toString('latin1'))
    .join('\n');
}

/**
 * Every byte of every file under dataDir (SQLite files with their WAL, the DuckDB file and its
 * WAL, anything else), as latin1 text: what a disk image of the data directory shows.
 */
export function dataDirBytes(dataDir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dataDir, { recursive: true, withFileTypes: true }))
    if (entry.isFile())
      files.set(entry.name, readFileSync(join(entry.parentPath, entry.name)).toString('latin1'));
  return files;
}

/** The names of the files whose bytes contain `value`. */
export function filesContaining(files: Map<string, string>, value: string): string[] {
  return [...files].filter(([, bytes]) => bytes.includes(value)).map(([name]) => name);
}

/**
 * The bytes of the database's relation files as PostgreSQL reads them (pg_read_binary_file
 * needs superuser or pg_read_server_files; the test cluster's user is superuser), with
 * pg_statistic's text form: the heap, TOAST and index files of every table in the schema.
 */
export async function postgresBytes(url: string, schema = 'rapport'): Promise<Map<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CHECKPOINT');
    const { rows: relations } = await client.query<{ path: string; name: string }>(
      // A TOAST table is named after the table it holds values for ("log_batches/toast").
      `SELECT pg_relation_filepath(c.oid) AS path, coalesce(owner.relname || '/toast', c.relname) AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_class owner ON owner.reltoastrelid = c.oid
       WHERE n.nspname IN ($1, 'pg_toast') AND c.relkind IN ('r', 'i', 't', 'm') AND pg_relation_filepath(c.oid) IS NOT NULL`,
      [schema],
    );
    const files = new Map<string, string>();
    for (const { path, name } of relations) {
      // Segment 0 only: a test's relations are far below 1 GB.
      const { rows } = await client.query<{ bytes: Buffer | null }>(
        'SELECT pg_read_binary_file($1, 0, 1000000000, true) AS bytes',
        [path],
      );
      files.set(`${name} (${path})`, rows[0]?.bytes?.toString('latin1') ?? '');
    }
    const { rows: stats } = await client.query(
      `SELECT attname, most_common_vals::text, histogram_bounds::text FROM pg_stats WHERE schemaname = $1`,
      [schema],
    );
    files.set('pg_stats', JSON.stringify(stats));
    return files;
  } finally {
    await client.end();
  }
}

export async function dumpPostgres(url: string, schema = 'rapport'): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
      [schema],
    );
    const lines: string[] = [];
    for (const { table_name } of tables) {
      const { rows } = await client.query(`SELECT * FROM "${schema}"."${table_name}"`);
      for (const row of rows) lines.push(`${table_name} ${JSON.stringify(row)}`);
    }
    return lines.join('\n');
  } finally {
    await client.end();
  }
}
